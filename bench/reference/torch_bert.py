#!/usr/bin/env python3
"""Reference for tfbench's CPU numbers: the same BERT masked-LM forward in eager PyTorch (Python), timed and
measured the way tfbench measures, one fresh process per sequence length.

Hugging Face transformers is not installable on the development machine (no PyPI), so this re-states
modeling_bert's eager math (BertForMaskedLM: embeddings, post-LN encoder layers, exact GELU, tied decoder)
with plain torch ops. Run it with a python3 that imports torch (Debian: /usr/bin/python3 + python3-torch):

    /usr/bin/python3 bench/reference/torch_bert.py --seq 8 32 128 --batch 8 --threads 2 [--training]

Prints one line per sequence length: median seconds per call, sample count, peak RSS (VmHWM, MiB) of the
process during one call, and its RSS before that call. A call is one forward, or with --training Hugging
Face's training step (train mode with dropout, cross-entropy loss with labels = input_ids, backward; the
gradients are dropped between calls, outside the timed region).
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time


def vm_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(key)


def build(torch, cfg):
    """Parameters of bert-base-uncased's BertForMaskedLM, normal(0, 0.02) weights, zero biases."""
    H, I, V, L = cfg["hidden"], cfg["intermediate"], cfg["vocab"], cfg["layers"]
    g = torch.Generator().manual_seed(0)

    def w(*shape):
        return torch.empty(*shape).normal_(0.0, 0.02, generator=g)

    p = {
        "word": w(V, H), "pos": w(cfg["max_pos"], H), "type": w(2, H),
        "emb_ln": (torch.ones(H), torch.zeros(H)),
        "layers": [],
        "transform": (w(H, H), torch.zeros(H)), "transform_ln": (torch.ones(H), torch.zeros(H)),
        "decoder_bias": torch.zeros(V),
    }
    for _ in range(L):
        p["layers"].append({
            "q": (w(H, H), torch.zeros(H)), "k": (w(H, H), torch.zeros(H)), "v": (w(H, H), torch.zeros(H)),
            "o": (w(H, H), torch.zeros(H)), "ln1": (torch.ones(H), torch.zeros(H)),
            "i": (w(I, H), torch.zeros(I)), "out": (w(H, I), torch.zeros(H)), "ln2": (torch.ones(H), torch.zeros(H)),
        })
    return p


def forward(torch, F, p, ids, cfg, train=False):
    """BertForMaskedLM's logits; in training with its dropout (p = 0.1) where modeling_bert applies it."""
    B, T = ids.shape
    drop = (lambda t: F.dropout(t, 0.1, True)) if train else (lambda t: t)
    H, nh = cfg["hidden"], cfg["heads"]
    hs = H // nh
    pos = torch.arange(T).unsqueeze(0)
    x = p["word"][ids] + p["pos"][pos] + p["type"][torch.zeros_like(ids)]  # (B, T, H)
    x = drop(F.layer_norm(x, (H,), *p["emb_ln"], eps=1e-12))
    for l in p["layers"]:
        def heads(t):
            return t.view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        q, k, v = (heads(F.linear(x, *l[n])) for n in ("q", "k", "v"))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs)  # (B, nh, T, T)
        ctx = torch.matmul(drop(scores.softmax(-1)), v).transpose(1, 2).reshape(B, T, H)
        x = F.layer_norm(drop(F.linear(ctx, *l["o"])) + x, (H,), *l["ln1"], eps=1e-12)
        h = F.gelu(F.linear(x, *l["i"]))
        x = F.layer_norm(drop(F.linear(h, *l["out"])) + x, (H,), *l["ln2"], eps=1e-12)
    t = F.layer_norm(F.gelu(F.linear(x, *p["transform"])), (H,), *p["transform_ln"], eps=1e-12)
    return F.linear(t, p["word"], p["decoder_bias"])  # (B, T, V)


def cell(args):
    import torch
    import torch.nn.functional as F

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = dict(hidden=768, intermediate=3072, vocab=30522, layers=12, heads=12, max_pos=512)
    p = build(torch, cfg)
    ids = torch.randint(0, cfg["vocab"], (args.batch, args.seq), generator=torch.Generator().manual_seed(1))
    params = [t for t in (p["word"], p["pos"], p["type"], *p["emb_ln"], *p["transform"], *p["transform_ln"],
                          p["decoder_bias"]) ] + [t for l in p["layers"] for pair in l.values() for t in pair]
    if args.training:
        for t in params:
            t.requires_grad_(True)

    def call():
        if not args.training:
            forward(torch, F, p, ids, cfg)
            return
        # Hugging Face's training step: loss = model(input_ids, labels=input_ids)[0]; loss.backward()
        logits = forward(torch, F, p, ids, cfg, train=True)
        F.cross_entropy(logits.view(-1, cfg["vocab"]), ids.view(-1)).backward()

    def reset():  # outside the timed region, as tfbench does
        for t in params:
            t.grad = None

    with torch.inference_mode(not args.training):
        for _ in range(args.warmup):
            call()
            reset()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = vm_kib("VmRSS")
        call()
        peak = vm_kib("VmHWM")
        reset()
        samples, total = [], 0.0
        while len(samples) < args.min_samples or total < args.min_time:
            t0 = time.perf_counter()
            call()
            samples.append(time.perf_counter() - t0)
            total += samples[-1]
            reset()
    print(json.dumps(dict(seq=args.seq, median=statistics.median(samples), n=len(samples),
                          rss_before_mib=before / 1024, rss_peak_mib=peak / 1024, threads=torch.get_num_threads())))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seq", type=int, nargs="+", default=[8, 32, 128])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0, help="0: torch's default")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--min-samples", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--training", action="store_true", help="time forward + loss + backward (train mode, dropout)")
    ap.add_argument("--cell", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cell:
        args.seq = args.seq[0]
        return cell(args)
    for seq in args.seq:
        cmd = [sys.executable, __file__, "--cell", "--seq", str(seq), "--batch", str(args.batch),
               "--threads", str(args.threads), "--warmup", str(args.warmup),
               "--min-samples", str(args.min_samples), "--min-time", str(args.min_time)] + (
                   ["--training"] if args.training else [])
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        mode = "training" if args.training else "inference"
        print(f"bert-base-uncased {mode} batch {args.batch} seq {seq:4d}: median {r['median']:.4f} s (n={r['n']}, "
              f"{r['threads']} threads), peak RSS {r['rss_peak_mib']:.0f} MiB (before the call {r['rss_before_mib']:.0f})")


if __name__ == "__main__":
    main()
