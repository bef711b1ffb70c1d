#!/usr/bin/env python3
"""Checks bench/reference/hf_reference.py against the parity fixtures that real Hugging Face transformers
(4.47.1, PyTorch 1.13, CPU, float32) computed: every stored tensor (last_hidden_state,
encoder_last_hidden_state, pooler_output, logits, loss, grad.*) must match within 1e-5.

    /usr/bin/python3 bench/reference/parity_check.py [--fixtures DIR] [--tol 1e-5] [case ...]

DIR defaults to ../shared/fixtures/parity beside the repository (cases bert, roberta, distilbert, gpt2, llama-gqa-bf16, t5).
bfloat16 weights (llama-gqa-bf16) are upcast to float32, as the reference run did. Also usable on
packages/core/test/fixtures/variants and packages/core/test/fixtures/bf16 to re-check generated cases (--fixtures
that dir); a case whose metadata says dtype "bfloat16" is recomputed in bfloat16.
Exits non-zero if anything is off.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference as ref  # noqa: E402

# The shared fixtures sit beside the repository: <repo>/../shared/fixtures/parity
DEFAULT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "fixtures", "parity"))
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
COMPARED = ("last_hidden_state", "pooler_output", "encoder_last_hidden_state", "logits", "loss")


def check_case(case_dir, tol):
    with open(os.path.join(case_dir, "config.json")) as f:
        config = json.load(f)
    params, _ = ref.read_safetensors(os.path.join(case_dir, "model.safetensors"))
    params = {k: v.float() for k, v in params.items()}
    expected, meta = ref.read_safetensors(os.path.join(case_dir, "expected.safetensors"))
    arch = meta.get("architecture") or config["architectures"][0]
    grads = [k[len("grad."):] for k in expected if k.startswith("grad.")]
    dtype = DTYPES[meta.get("dtype", "float32")]
    got = ref.compute_expected(config, params, expected["input_ids"], expected.get("attention_mask"), grads, arch,
                               dtype=dtype)
    rows, ok = [], True
    names = [k for k in expected if k in COMPARED or k.startswith("grad.")]
    for name in sorted(names):
        e = expected[name].float()
        if name not in got:
            rows.append((name, None, "missing from the reference's output"))
            ok = False
            continue
        g = got[name].float()
        if tuple(g.shape) != tuple(e.shape):
            rows.append((name, None, f"shape {list(g.shape)} != {list(e.shape)}"))
            ok = False
            continue
        diff = (g - e).abs()
        md = diff.max().item() if diff.numel() else 0.0
        bad = bool((diff > tol + tol * e.abs()).any())
        ok &= not bad
        rows.append((name, md, "FAIL" if bad else "ok"))
    return ok, rows, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=DEFAULT_DIR)
    ap.add_argument("--tol", type=float, default=1e-5, help="atol = rtol (default 1e-5)")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cases = args.cases or sorted(d for d in os.listdir(args.fixtures)
                                 if os.path.isfile(os.path.join(args.fixtures, d, "expected.safetensors")))
    all_ok = True
    for case in cases:
        ok, rows, meta = check_case(os.path.join(args.fixtures, case), args.tol)
        all_ok &= ok
        worst = max((r[1] for r in rows if r[1] is not None), default=0.0)
        print(f"{'PASS' if ok else 'FAIL'} {case} ({meta.get('architecture')}): max |diff| {worst:.3e}")
        for name, md, status in rows:
            md_s = f"{md:.3e}" if md is not None else "-"
            print(f"    {name:70s} {md_s:>10s}  {status}")
    print("all cases match" if all_ok else "MISMATCH")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
