#!/usr/bin/env python3
"""Checks bench/reference/hf_reference.py against the parity fixtures that real Hugging Face transformers
(4.47.1, PyTorch 1.13, CPU, float32) computed: every stored tensor (last_hidden_state,
encoder_last_hidden_state, pooler_output, logits, loss, grad.*) must match within 1e-5.

    /usr/bin/python3 bench/reference/parity_check.py [--fixtures DIR] [--tol 1e-5] [case ...]
    /usr/bin/python3 bench/reference/parity_check.py --check-generation [--fixtures DIR] [case ...]

DIR defaults to ../shared/fixtures/parity beside the repository (cases bert, roberta, distilbert, gpt2, llama-gqa-bf16, t5).
bfloat16 weights (llama-gqa-bf16) are upcast to float32, as the reference run did. Also usable on
packages/core/test/fixtures/variants and packages/core/test/fixtures/bf16 to re-check generated cases (--fixtures
that dir); a case whose metadata says dtype "bfloat16" is recomputed in bfloat16.

--check-generation checks bench/reference/generation.py's greedy decoding by full recomputation instead: for each
case with a generation reference (DIR/<case>/generate.safetensors, or DIR/../generation/<case>.safetensors as the
shared fixtures keep theirs), it decodes from the stored prompt_ids with the checkpoint's weights (upcast to
float32) and compares: generated_ids exactly, step_logits within --tol (atol = rtol), and the stored prompt seed
and top-1 margin.

Weights are read only from model.safetensors (or the shards model.safetensors.index.json lists):
hf_reference.load_checkpoint. Exits non-zero if anything is off.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generation  # noqa: E402
import hf_reference as ref  # noqa: E402

# The shared fixtures sit beside the repository: <repo>/../shared/fixtures/parity
DEFAULT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "fixtures", "parity"))
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
COMPARED = ("last_hidden_state", "pooler_output", "encoder_last_hidden_state", "logits", "loss")


def check_case(case_dir, tol):
    config, params = ref.load_checkpoint(case_dir)
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


def generation_reference(fixtures, case):
    """The generation reference of a case: <case>/generate.safetensors in the case directory (variants), else
    ../generation/<case>.safetensors beside the parity directory (the shared fixtures); None if neither."""
    for path in (os.path.join(fixtures, case, "generate.safetensors"),
                 os.path.join(fixtures, "..", "generation", case + ".safetensors")):
        if os.path.isfile(path):
            return os.path.normpath(path)
    return None


def check_generation_case(case_dir, reference, tol):
    """Greedy decoding by full recomputation from the reference's prompt, against its ids and step logits."""
    config, params = ref.load_checkpoint(case_dir)
    expected, meta = ref.read_safetensors(reference)
    arch = meta.get("architecture") or config["architectures"][0]
    new_tokens = int(meta.get("new_tokens", expected["step_logits"].shape[0]))
    ids, logits = generation.greedy(config, params, expected["prompt_ids"], new_tokens, arch)
    ok, ids_equal, max_diff, problems = generation.compare(expected, ids, logits, tol)
    margin = generation.min_top1_margin(logits)
    if "prompt_seed" in meta:
        prompt = generation.prompt_ids(config["vocab_size"], int(meta["prompt_seed"]),
                                       *expected["prompt_ids"].shape)
        if not torch.equal(prompt, expected["prompt_ids"]):
            problems.append(f"prompt_ids are not those of prompt seed {meta['prompt_seed']}")
    if "min_top1_margin" in meta and abs(margin - float(meta["min_top1_margin"])) > 1e-4:
        problems.append(f"min_top1_margin {margin:.5f} != stored {meta['min_top1_margin']}")
    if margin < generation.MIN_MARGIN:
        problems.append(f"top-1 margin {margin:.5f} < {generation.MIN_MARGIN}")
    return not problems, ids_equal, max_diff, margin, problems, meta


def main_generation(args):
    cases = args.cases or sorted(d for d in os.listdir(args.fixtures)
                                 if generation_reference(args.fixtures, d) is not None)
    all_ok = bool(cases)
    for case in cases:
        reference = generation_reference(args.fixtures, case)
        if reference is None:
            print(f"FAIL {case}: no generation reference")
            all_ok = False
            continue
        ok, ids_equal, max_diff, margin, problems, meta = check_generation_case(
            os.path.join(args.fixtures, case), reference, args.tol)
        all_ok &= ok
        diff = f"{max_diff:.3e}" if max_diff is not None else "-"
        print(f"{'PASS' if ok else 'FAIL'} {case} ({meta.get('architecture')}): ids {'equal' if ids_equal else 'DIFFER'}, "
              f"step_logits max |diff| {diff}, top-1 margin {margin:.5f} (stored {meta.get('min_top1_margin')}, "
              f"prompt seed {meta.get('prompt_seed')})  [{os.path.relpath(reference)}]")
        for p in problems:
            print("    " + p)
    print("all generation references reproduced" if all_ok else "MISMATCH")
    return 0 if all_ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=DEFAULT_DIR)
    ap.add_argument("--tol", type=float, default=1e-5, help="atol = rtol (default 1e-5)")
    ap.add_argument("--check-generation", action="store_true",
                    help="check greedy decoding by full recomputation against the generation references")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.check_generation:
        return main_generation(args)
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
