#!/usr/bin/env python3
"""Runs a real Hugging Face transformers on fixture checkpoints and compares with their expected tensors: the check of
the reference against transformers itself, for the cases no shared fixture covers (other config values, bfloat16).

    PYTHONPATH=<transformers>:<huggingface_hub> /usr/bin/python3 bench/reference/check_with_transformers.py \\
        packages/core/test/fixtures/bf16/gpt2-bf16 packages/core/test/fixtures/variants/t5-relu-tied ...

transformers is not installable here from a registry; any copy whose model classes run on the local torch will do
(e.g. a source tree on PYTHONPATH). The model is built from config.json, cast to the case's dtype (metadata dtype,
default float32) and filled from model.safetensors; tied weights are re-tied. Decoder cases compare
last_hidden_state (base model), logits and loss (labels = input_ids), encoder cases the same with their
attention_mask (the loss without), base encoders last_hidden_state and pooler_output; T5 compares encoder_last_hidden_state,
logits and loss with decoder_input_ids = input_ids. Prints the largest difference per tensor and whether it is
bitwise equal; exits non-zero if any difference exceeds --tol.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference as ref  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def run_transformers(transformers, case_dir):
    with open(os.path.join(case_dir, "config.json")) as f:
        config = json.load(f)
    params, _ = ref.read_safetensors(os.path.join(case_dir, "model.safetensors"))
    expected, meta = ref.read_safetensors(os.path.join(case_dir, "expected.safetensors"))
    dtype = DTYPES[meta.get("dtype", "float32")]
    arch = config["architectures"][0]
    model = getattr(transformers, arch)(transformers.AutoConfig.for_model(**config)).to(dtype).eval()
    missing, unexpected = model.load_state_dict({k: v.to(dtype) for k, v in params.items()}, strict=False)
    model.tie_weights()
    if unexpected:
        raise RuntimeError(f"{case_dir}: checkpoint tensors the model does not have: {unexpected}")
    ids = expected["input_ids"]
    got = {}
    with torch.no_grad():
        if ref.kind_of(arch) == "seq2seq":
            out = model(input_ids=ids, decoder_input_ids=ids)
            got["encoder_last_hidden_state"], got["logits"] = out.encoder_last_hidden_state, out.logits
            got["loss"] = model(input_ids=ids, decoder_input_ids=ids, labels=ids).loss
        elif arch.endswith("Model"):  # a base encoder: outputs with the mask
            out = model(ids, attention_mask=expected.get("attention_mask"))
            got["last_hidden_state"], got["pooler_output"] = out.last_hidden_state, out.pooler_output
        else:  # encoder outputs with the mask, decoder outputs without; the loss without
            mask = expected.get("attention_mask")
            got["last_hidden_state"] = model.base_model(ids, attention_mask=mask).last_hidden_state
            got["logits"] = model(ids, attention_mask=mask).logits
            got["loss"] = model(ids, labels=ids).loss
    return {k: v for k, v in got.items() if k in expected}, expected, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tol", type=float, default=0.0, help="largest |diff| accepted (default 0: bitwise)")
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args()
    import transformers
    torch.set_num_threads(1)
    print(f"transformers {transformers.__version__} from {os.path.dirname(transformers.__file__)}, torch {torch.__version__}")
    ok = True
    for case_dir in args.cases:
        got, expected, missing = run_transformers(transformers, case_dir)
        print(f"{case_dir}  (not in the checkpoint, tied or buffers: {len(missing)})")
        for name, value in got.items():
            diff = (value.float() - expected[name].float()).abs().max().item()
            equal = torch.equal(value.float(), expected[name].float())
            ok &= diff <= args.tol
            print(f"    {name:28s} max |diff| {diff:.3e}  {'bitwise equal' if equal else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
