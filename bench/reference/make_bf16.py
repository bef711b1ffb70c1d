#!/usr/bin/env python3
"""Generates the bfloat16 parity cases (packages/core/test/fixtures/bf16) and measures the figures their
tolerances rest on.

    /usr/bin/python3 bench/reference/make_bf16.py [--out packages/core/test/fixtures/bf16] [--measure-only] [case ...]

Each case is a checkpoint directory laid out as a variant case (see make_variants.py), with the weights stored as
BF16 and `torch_dtype: "bfloat16"` in config.json. expected.safetensors holds the outputs of the reference run as
from_pretrained(torch_dtype=torch.bfloat16) runs the model (weights and activations bfloat16, upcast where
transformers upcasts; hf_reference.compute_expected(dtype=torch.bfloat16)), stored as F32: last_hidden_state
(T5: encoder_last_hidden_state), logits and loss. No gradients: a bfloat16 backward is not something the
reference re-states.

For each case the script measures, on the same BF16 weights and inputs, the smallest t such that
|x - expected| <= t + t * |expected| everywhere (the atol = rtol that x would just pass), for:
  (a) the float32 reference:                    how far bfloat16 moves the outputs;
  (b) a wrong bfloat16 model:                   LLaMA/Qwen2/T5 with the attention softmax left in bfloat16
                                                (GPT-2: softmax upcast to float32, where HF does not);
  (c) legitimate bfloat16 implementation noise: the same bfloat16 math with matmuls accumulated in float32 and
                                                rounded once (bias included), with the bias added after rounding,
                                                or with transposed weight storage (the worst of the three).
Each tolerance must lie above (c) (the script fails otherwise) and catches the (b) rows above it (printed, and
stored in the metadata).
"""
import argparse
import contextlib
import json
import os
import sys
import types
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference as ref  # noqa: E402
import families.common  # noqa: E402
import families.gpt2  # noqa: E402
import families.llama  # noqa: E402
import families.t5  # noqa: E402
import make_variants as mv  # noqa: E402

DEFAULT_OUT = os.path.join(mv.ROOT, "packages", "core", "test", "fixtures", "bf16")
GENERATOR = "bench/reference/make_bf16.py"
NOTE = ("bfloat16 run as from_pretrained(torch_dtype=torch.bfloat16): weights and activations bfloat16, upcast where "
        "transformers 4.47 upcasts; eval mode; loss uses labels=input_ids; outputs stored as float32; expected "
        "tensors from bench/reference/hf_reference.py (dtype=torch.bfloat16)")
OUTPUTS = ("last_hidden_state", "encoder_last_hidden_state", "logits", "loss")


def cases():
    """name -> (config, parameter spec, tolerance of the tensors, tolerance of the loss), each tolerance used as
    atol = rtol. Set from the figures this script prints (fixtures/bf16/README.md): twice the largest noise (c) of
    that output, rounded up; the loss's at least two bfloat16 steps of its value where it is computed in bfloat16
    (T5)."""
    bf16 = dict(torch_dtype="bfloat16")
    out = {}
    c = mv.gpt2_config(**bf16)
    out["gpt2-bf16"] = (c, mv.gpt2_params(c), 0.1, 0.004)
    c = mv.llama_config(**bf16)
    out["llama-bf16"] = (c, mv.llama_params(c, "llama"), 0.13, 0.0012)
    c = mv.qwen2_config(**bf16)
    out["qwen2-bf16"] = (c, mv.llama_params(c, "qwen2"), 0.14, 0.0014)
    c = mv.t5_config(**bf16)
    out["t5-bf16"] = (c, mv.t5_params(c), 0.08, 0.012)
    return out


# ----------------------------------------------------------------------------------------------------------
# the variants measured against the bfloat16 reference
# ----------------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def patched(obj, **attrs):
    saved = {k: getattr(obj, k) for k in attrs}
    for k, v in attrs.items():
        setattr(obj, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(obj, k, v)


def softmax_in_working_dtype(scores):
    """What a missing upcast gives with torch's kernel: on CPU (torch 1.13) the bfloat16 softmax accumulates in
    float32 and rounds once, so this equals the upcast exactly."""
    return F.softmax(scores, dim=-1)


def softmax_from_bf16_ops(scores, dim=-1):
    """A softmax written as bfloat16 elementwise ops (each rounded): max-subtract, exp, sum, divide."""
    e = (scores - scores.max(dim, keepdim=True).values).exp()
    return e / e.sum(dim, keepdim=True)


def rms_norm_in_bf16(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def layer_norm_in_bf16(x, shape, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)
    return (x - mean) * torch.rsqrt(var + eps) * weight + bias


def rope_in_bf16(inv_freq, attention_factor, position_ids, dtype):
    """cos/sin from inv_freq, positions and angles in the working dtype instead of float32."""
    freqs = position_ids[:, :, None].to(dtype) * inv_freq.to(dtype)[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * attention_factor, emb.sin() * attention_factor


class FunctionalWith(types.SimpleNamespace):
    """torch.nn.functional as one family module sees it, with some functions replaced."""

    def __getattr__(self, name):
        return getattr(F, name)


WRONG = {
    # LLaMA/Qwen2/T5: attention softmax not upcast; GPT-2: upcast where HF does not
    "softmax dtype": lambda: _patch_all(
        (families.llama, dict(softmax_in_float32=softmax_in_working_dtype)),
        (families.t5, dict(softmax_in_float32=softmax_in_working_dtype)),
        (families.gpt2, dict(F=FunctionalWith(softmax=lambda x, dim: F.softmax(x, dim=dim, dtype=torch.float32)
                                              .to(x.dtype))))),
    "softmax of bf16 ops": lambda: _patch_all(
        (families.llama, dict(softmax_in_float32=softmax_from_bf16_ops)),
        (families.t5, dict(softmax_in_float32=softmax_from_bf16_ops)),
        (families.gpt2, dict(F=FunctionalWith(softmax=softmax_from_bf16_ops)))),
    "norm statistics in bf16": lambda: _patch_all(
        (families.llama, dict(rms_norm=rms_norm_in_bf16)),
        (families.t5, dict(t5_layer_norm=rms_norm_in_bf16)),
        (families.gpt2, dict(F=FunctionalWith(layer_norm=layer_norm_in_bf16)))),
    "rotary angles in bf16": lambda: _patch_all((families.llama, dict(rope_cos_sin=rope_in_bf16))),
    # the loss's cross-entropy in the other dtype: T5 upcast (HF: bfloat16), GPT-2/LLaMA/Qwen2 not (HF: float32)
    "loss dtype": lambda: _patch_all(
        (families.t5, dict(cross_entropy=lambda logits, labels: families.common.cross_entropy(logits.float(), labels))),
        (families.gpt2, dict(causal_lm_loss=causal_lm_loss_in_working_dtype)),
        (families.llama, dict(causal_lm_loss=causal_lm_loss_in_working_dtype))),
}


def causal_lm_loss_in_working_dtype(logits, labels):
    return families.common.cross_entropy(logits[..., :-1, :].contiguous(), labels[..., 1:].contiguous())


@contextlib.contextmanager
def _patch_all(*targets):
    with contextlib.ExitStack() as stack:
        for module, attrs in targets:
            stack.enter_context(patched(module, **attrs))
        yield


_linear, _matmul, _addmm = F.linear, torch.matmul, torch.addmm


def _is_16bit(t):
    return t.dtype in (torch.bfloat16, torch.float16)


def _fp32_linear(x, w, b=None):
    if not _is_16bit(x):
        return _linear(x, w, b)
    return _linear(x.float(), w.float(), None if b is None else b.float()).to(x.dtype)


def _fp32_matmul(a, b):
    if not _is_16bit(a):
        return _matmul(a, b)
    return _matmul(a.float(), b.float()).to(a.dtype)


def _fp32_addmm(b, x, w):
    if not _is_16bit(x):
        return _addmm(b, x, w)
    return _addmm(b.float(), x.float(), w.float()).to(x.dtype)


def _unfused_linear(x, w, b=None):
    y = _linear(x, w)
    return y if b is None else y + b


def _unfused_addmm(b, x, w):
    return _matmul(x, w) + b


def _transposed_linear(x, w, b=None):
    return _linear(x, w.t().contiguous().t(), b)


def _transposed_matmul(a, b):
    return _matmul(a, b.transpose(-1, -2).contiguous().transpose(-1, -2))


def _transposed_addmm(b, x, w):
    return _addmm(b, x, w.t().contiguous().t())


NOISE = {
    "fp32-accumulate": dict(linear=_fp32_linear, matmul=_fp32_matmul, addmm=_fp32_addmm),
    "unfused-bias": dict(linear=_unfused_linear, matmul=_matmul, addmm=_unfused_addmm),
    "transposed-weights": dict(linear=_transposed_linear, matmul=_transposed_matmul, addmm=_transposed_addmm),
}


@contextlib.contextmanager
def noise(name):
    fns = NOISE[name]
    with patched(F, linear=fns["linear"]), patched(torch, matmul=fns["matmul"], addmm=fns["addmm"]):
        yield


# ----------------------------------------------------------------------------------------------------------
# measuring and writing
# ----------------------------------------------------------------------------------------------------------

def passing_tol(got, expected):
    """The smallest t with |got - expected| <= t + t * |expected| everywhere."""
    g, e = got.float(), expected.float()
    return ((g - e).abs() / (1 + e.abs())).max().item()


def outputs(config, params, ids, arch, dtype):
    exp = ref.compute_expected(config, params, ids, None, [], arch, dtype=dtype)
    return {k: v.float() for k, v in exp.items() if k in OUTPUTS}


def measure(name, config, params, ids, arch, expected):
    rows = {}
    rows["(a) float32 reference"] = outputs(config, params, ids, arch, torch.float32)
    for n, patch in WRONG.items():
        with patch():
            rows[f"(b) {n}"] = outputs(config, params, ids, arch, torch.bfloat16)
    for n in NOISE:
        with noise(n):
            rows[f"(c) {n}"] = outputs(config, params, ids, arch, torch.bfloat16)
    figures = {label: {k: passing_tol(v, expected[k]) for k, v in got.items()} for label, got in rows.items()}
    return figures


def print_figures(name, figures):
    keys = list(next(iter(figures.values())))
    print(f"{name}: smallest passing atol = rtol per output")
    print("    " + f"{'':32s}" + "".join(f"{k:>28s}" for k in keys))
    for label, row in figures.items():
        print("    " + f"{label:32s}" + "".join(f"{row[k]:28.3e}" for k in keys))


def check_tolerances(name, figures, tol, loss_tol):
    """Fails unless each tolerance is above the noise (c); returns the wrong variants (b) it catches."""
    caught = []
    for key in next(iter(figures.values())):
        t = loss_tol if key == "loss" else tol
        noise_max = max(row[key] for label, row in figures.items() if label.startswith("(c)"))
        if not t > noise_max:
            raise RuntimeError(f"{name}: {key} tolerance {t} is not above the noise {noise_max:.3e}")
        caught += [f"{label[4:]} ({key})" for label, row in figures.items() if label.startswith("(b)") and row[key] > t]
    print(f"    tolerance {tol} (loss {loss_tol}) catches: {'; '.join(caught) or 'nothing'}")
    return caught


def make_case(name, config, spec, tol, loss_tol, out_dir, write):
    seed = zlib.crc32(name.encode())
    arch = config["architectures"][0]
    kind = ref.kind_of(arch)
    params = {k: v.to(torch.bfloat16) for k, v in mv.init_params(spec, seed).items()}
    ids, _ = mv.inputs(config, kind, seed + 1)
    expected = outputs(config, params, ids, arch, torch.bfloat16)
    for k, v in expected.items():
        if not torch.isfinite(v).all():
            raise RuntimeError(f"{name}: {k} is not finite")
    figures = measure(name, config, params, ids, arch, expected)
    print_figures(name, figures)
    caught = check_tolerances(name, figures, tol, loss_tol)
    if not write:
        return
    meta = dict(case=name, kind=kind, architecture=arch, dtype="bfloat16", atol=str(tol), rtol=str(tol),
                loss_atol=str(loss_tol), loss_rtol=str(loss_tol), note=NOTE, generator=GENERATOR,
                measured=json.dumps({label: {k: float(f"{v:.3e}") for k, v in row.items()}
                                     for label, row in figures.items()}, sort_keys=True),
                tolerance_catches="; ".join(caught))
    mv.write_case(os.path.join(out_dir, name), config, params, dict(expected, input_ids=ids), meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--measure-only", action="store_true")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    all_cases = cases()
    for name in args.cases or list(all_cases):
        config, spec, tol, loss_tol = all_cases[name]
        make_case(name, config, spec, tol, loss_tol, args.out, not args.measure_only)


if __name__ == "__main__":
    main()
