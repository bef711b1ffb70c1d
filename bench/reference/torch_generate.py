#!/usr/bin/env python3
"""Reference for tfbench's generation numbers: greedy decoding with a static KV cache in eager PyTorch, timed the way
tfbench times a generate cell. It is the bar tfbench's C++ must meet, so it is as fast as an honest eager
implementation can be; and it is checked token for token against greedy decoding by full recomputation
(generation.py), so the speed is not bought with other math.

    /usr/bin/python3 bench/reference/torch_generate.py --model gpt2 --batch-size 1 --prompt-length 128 --new-tokens 32
    /usr/bin/python3 bench/reference/torch_generate.py --model qwen2.5-0.5b --batch-size 1 --prompt-length 128
    /usr/bin/python3 bench/reference/torch_generate.py --model path/to/config.json ...   # or a checkpoint directory
    /usr/bin/python3 bench/reference/torch_generate.py --check [DIR ...]                 # correctness, see below

Run it with Debian's /usr/bin/python3 (python3-torch: torch 1.13, the libtorch tfbench links). A measurement re-executes
the script with the glibc malloc settings tfbench's cells run with (TFBENCH_TUNABLES below: freed memory stays mapped,
as a caching allocator keeps it), appended to any GLIBC_TUNABLES already set; --glibc-tunables "" leaves the
environment as it is.

Models: GPT-2 (GPT2LMHeadModel), the LLaMA family (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM: grouped-
query attention, q/k/v biases, rope types default / linear / llama3 / yarn, sliding windows per layer) and T5
(T5ForConditionalGeneration), float32 on the CPU. --model is a built-in shape ("gpt2": GPT2LMHeadModel's defaults;
"qwen2.5-0.5b": Qwen/Qwen2.5-0.5B's config), a config.json (random weights, seeded) or a checkpoint directory
(config.json + model.safetensors or its index's shards: those weights). Random weights are drawn as Hugging Face
initialises them (matrices and embeddings N(0, 0.02), norm weights 1, biases 0).

The math is the families' forward (families/gpt2.py, llama.py, t5.py, which re-state transformers 4.47), cut into
a prefill and single-token steps over a static KV cache:
- the cache, [layers, B, kv heads, S + N, head dim] for keys and for values, is allocated once before the timed calls
  (zeros) and written in place at each call's positions (as transformers' StaticCache); positions continue from the
  prompt (rotary angles and GPT-2's position embeddings at S, S + 1, ...);
- grouped-query attention reads the cache as it is: the query heads that share a KV head are stacked as rows of one
  product ([B, kv heads, group x T, head dim] @ keys^T), no repeat_kv copy;
- a decode step has no mask: it attends to the cache slice [0, p] (a sliding-window layer to [p - W + 1, p]); the
  prefill masks future keys (and keys out of the window) with a boolean [S, S] mask;
- the LM head runs on the last position only, in prefill and in decode; the argmax stays a tensor (on the device),
  and is the next step's input;
- q/k/v (and gate/up) weights are concatenated once, so a layer runs one product for them; rotary cos/sin for all
  S + N positions and T5's decoder position bias are computed once, at build time; keys are rotated straight into
  the cache;
- matrix products with one row (batch 1 decode) go through torch.addmv (BLAS gemv): with OpenBLAS 0.3.21 on the
  2-core VM, torch.addmm on one row took 0.18-8 ms for GPT-2's [768, 2304] c_attn (2 threads; it stalls) against
  0.057-0.08 ms for addmv on the same weights, and 85-106 ms for Qwen2.5-0.5B's [896, 151936] head against 33-39 ms;
  weights are stored [in, out] (GPT-2's Conv1D layout) so that products with several rows are BLAS "NN" gemms,
  which OpenBLAS ran up to 2x faster than the "NT" of F.linear (8 rows x [3072, 768]: 0.50 against 1.16 ms);
- activations are single kernels (gelu_new as F.gelu(approximate="tanh"), silu, layer_norm).
Everything runs under torch.inference_mode().

Timing, per call (tfbench's generate cell): TTFT = prefill forward + first argmax (T5: encoder, cross-attention keys
and values, first decoder step); then N - 1 decode steps, each timed with time.perf_counter around it (forward +
argmax); E2E from the start of the prefill to the last token. Warm-up calls first (--warmup), then calls until both
--calls and --min-time are reached. Printed JSON: the medians over calls of TTFT, TPOT = (E2E - TTFT) / (N - 1),
prefill tokens/s = B * S / TTFT, decode tokens/s = B * (N - 1) / (E2E - TTFT) and E2E; ITL p50 / p90 / p99 pooled over
every decode step of every timed call (linear interpolation, numpy's default, as tfbench's quantile); and the raw
figures of each call (ttft, e2e, every step's latency).

Figures on the 2-core development VM (AMD EPYC, OpenBLAS 0.3.21 OpenMP build as libblas.so.3, 2 threads, 32 new
tokens, six rounds in quiet spells, each a fresh process; TTFT / TPOT medians, the range over rounds):
  gpt2          batch 1 prompt  32:  TTFT  66-82 ms,   TPOT 22-28 ms
  gpt2          batch 1 prompt 128:  TTFT 157-231 ms,  TPOT 24-33 ms
  gpt2          batch 8 prompt  32:  TTFT 296-346 ms,  TPOT 61-73 ms
  gpt2          batch 8 prompt 128:  TTFT 1.04-1.30 s, TPOT 62-79 ms
  qwen2.5-0.5b  batch 1 prompt 128:  TTFT 625-709 ms,  TPOT 83-87 ms
A batch-1 decode step streams every weight once (GPT-2 498 MB in ~25 ms, Qwen2.5-0.5B 1.98 GB in ~85 ms: the ~20-24
GB/s a plain sum reaches here), so it runs at the memory bandwidth. With another process busy on the VM, OpenMP's
second thread stalls whole steps (ITL p90 of 0.3-0.8 s was seen): compare only runs made side by side.

--check runs the cached decoder on generation references (default: every packages/core/test/fixtures/variants case
with a generate.safetensors and the shared fixtures' generation/*.safetensors) and compares: generated ids exactly,
step logits within 1e-4 (atol = rtol); then, for each of those checkpoints, a longer run (batch 3, prompt 9, up to 20
new tokens, past every sliding window) against full recomputation (hf_reference) fed the same tokens: every step's
logits within 1e-4, and its ids against generation.greedy's. --check-builtin does the longer comparison on the
built-in shapes with random weights (logits only: N(0, 0.02) weights leave near-ties). Exits non-zero on a mismatch.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generation  # noqa: E402
import hf_reference as ref  # noqa: E402
import make_variants as mv  # noqa: E402
from families.common import Weights, act  # noqa: E402
from families.gpt2 import GPT2_DEFAULTS  # noqa: E402
from families.llama import layer_types, llama_like_shape, rope_cos_sin, rope_inv_freq, rope_type_of  # noqa: E402
from families.t5 import t5_relative_position_bucket, t5_resolve  # noqa: E402

ROOT = mv.ROOT
VARIANTS = os.path.join(ROOT, "packages", "core", "test", "fixtures", "variants")
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "fixtures"))

# glibc malloc settings of tfbench's isolated cells (README, "Each (model, batch, sequence, mode) cell runs in a fresh
# child process")
TFBENCH_TUNABLES = "glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"

# The built-in shapes: the config.json fields tfbench's known ids carry for these models.
BUILTIN = {
    # GPT2LMHeadModel() with its config class's defaults (openai-community/gpt2)
    "gpt2": dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", vocab_size=50257, n_positions=1024,
                 n_embd=768, n_layer=12, n_head=12, n_inner=None, activation_function="gelu_new",
                 layer_norm_epsilon=1e-5, scale_attn_weights=True, scale_attn_by_inverse_layer_idx=False,
                 reorder_and_upcast_attn=False, tie_word_embeddings=True, bos_token_id=50256, eos_token_id=50256),
    # Qwen/Qwen2.5-0.5B's config.json (torch_dtype set to float32 here: the reference runs float32)
    "qwen2.5-0.5b": dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", vocab_size=151936, hidden_size=896,
                         intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                         hidden_act="silu", max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0,
                         rope_scaling=None, tie_word_embeddings=True, use_sliding_window=False, sliding_window=32768,
                         max_window_layers=24, bos_token_id=151643, eos_token_id=151643, torch_dtype="float32"),
}

# ----------------------------------------------------------------------------------------------------------
# building blocks
# ----------------------------------------------------------------------------------------------------------


class Linear:
    """y = x @ W^T + b for x [M, in]. The weight is kept [in, out] contiguous: with M > 1 torch.addmm(b, x, W) is a
    BLAS "NN" gemm; with M == 1 torch.addmv(b, W^T, x[0]) is a gemv on the same storage (column-major [out, in]),
    which OpenBLAS runs far faster than a one-row gemm. `weight` is given as nn.Linear stores it, [out, in]
    (GPT-2's Conv1D weights, already [in, out], come with in_out=True)."""

    __slots__ = ("w", "wt", "b")

    def __init__(self, weight, bias=None, in_out=False):
        self.w = (weight if in_out else weight.t()).contiguous()  # [in, out]
        self.wt = self.w.t()  # [out, in] view (column-major)
        self.b = bias.contiguous() if bias is not None else None

    def __call__(self, x):
        if x.shape[0] == 1:
            v = x[0]
            y = torch.mv(self.wt, v) if self.b is None else torch.addmv(self.b, self.wt, v)
            return y.unsqueeze(0)
        return torch.mm(x, self.w) if self.b is None else torch.addmm(self.b, x, self.w)


class Head:
    """The LM head on [B, hidden] rows. A tied head reads the embedding matrix as stored, [vocab, hidden] row-major
    (one copy of it serves the lookup and the head): gemv for one row, an "NT" gemm otherwise."""

    __slots__ = ("w", "lin")

    def __init__(self, weight, tied):
        self.w = weight if tied else None
        self.lin = None if tied else Linear(weight)

    def __call__(self, x):
        if self.lin is not None:
            return self.lin(x)
        if x.shape[0] == 1:
            return torch.mv(self.w, x[0]).unsqueeze(0)
        return torch.mm(x, self.w.t())


def attend(q, k_all, v_all, start, end, mask, scale_div=None, bias=None):
    """Attention of T queries over the cached keys/values at positions [start, end).
    q: [B, T, nh, hd] (any strides); k_all, v_all: one layer's cache [B, nkv, Tmax, hd]; mask: bool [T, end - start]
    (True = masked) or None; scale_div: the scores are divided by it (GPT-2, LLaMA; None for T5); bias: added to the
    scores, [1 or B, nh, T, end - start] (T5's position bias). Returns the context [B * T, nh * hd].
    The nh // nkv query heads that share a KV head are stacked as rows: scores [B, nkv, g * T, Tk] in one product,
    without repeating the cache."""
    B, T, nh, hd = q.shape
    k, v = k_all[:, :, start:end], v_all[:, :, start:end]  # [B, nkv, Tk, hd] views
    nkv, Tk = k.shape[1], k.shape[2]
    g = nh // nkv
    if T == 1:
        qg = q.reshape(B, nkv, g, hd)  # query head h = kv * g + j reads KV head kv, as repeat_kv pairs them
    else:
        qg = q.reshape(B, T, nkv, g, hd).permute(0, 2, 3, 1, 4).reshape(B, nkv, g * T, hd)
    scores = torch.matmul(qg, k.transpose(2, 3))  # [B, nkv, g * T, Tk]
    if scale_div is not None:
        for d in scale_div:
            scores.div_(d)
    if bias is not None or mask is not None:
        s5 = scores.view(B, nkv, g, T, Tk)
        if bias is not None:
            s5.add_(bias.reshape(bias.shape[0], nkv, g, T, Tk))
        if mask is not None:
            s5.masked_fill_(mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    ctx = torch.matmul(probs, v)  # [B, nkv, g * T, hd]
    if T == 1:
        return ctx.reshape(B, nh * hd)
    return ctx.view(B, nkv, g, T, hd).permute(0, 3, 1, 2, 4).reshape(B * T, nh * hd)


def fast_act(name):
    """The activation as one fused kernel where torch has it: gelu_new (NewGELUActivation, the tanh approximation,
    composed of 7 element-wise ops in transformers and in families/common.py) is F.gelu(approximate="tanh"), the
    same function to within float32 rounding (~1e-7); every other name as families/common.act gives it."""
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: F.gelu(x, approximate="tanh")
    return act(name)


def causal_window_mask(T, window=None):
    """bool [T, T], True where key j is hidden from query i: j > i, or j <= i - window (families.common.causal_mask)."""
    i = torch.arange(T).unsqueeze(1)
    j = torch.arange(T).unsqueeze(0)
    masked = j > i
    if window is not None:
        masked = masked | (j <= i - window)
    return masked


# ----------------------------------------------------------------------------------------------------------
# GPT-2
# ----------------------------------------------------------------------------------------------------------


class GPT2Generator:
    """GPT2LMHeadModel (families/gpt2.py) over a static KV cache."""

    def __init__(self, config, params, batch, max_len):
        c = dict(GPT2_DEFAULTS, **config)
        w = Weights(params, "transformer.")
        self.D, self.nh = c["n_embd"], c["n_head"]
        self.hd = self.D // self.nh
        self.eps = c["layer_norm_epsilon"]
        self.f = fast_act(c["activation_function"])
        if max_len > c["n_positions"]:
            raise ValueError(f"{max_len} positions > n_positions {c['n_positions']}")
        self.wte, self.wpe = w("wte.weight"), w("wpe.weight")
        self.layers = []
        for i in range(c["n_layer"]):
            p = f"h.{i}."
            scale = []  # GPT2Attention._attn: scores / sqrt(head dim), then / (layer index + 1)
            if c["scale_attn_weights"]:
                scale.append(float(self.hd) ** 0.5)
            if c["scale_attn_by_inverse_layer_idx"]:
                scale.append(float(i + 1))
            self.layers.append(dict(
                ln1=(w(p + "ln_1.weight"), w(p + "ln_1.bias")), ln2=(w(p + "ln_2.weight"), w(p + "ln_2.bias")),
                qkv=Linear(w(p + "attn.c_attn.weight"), w(p + "attn.c_attn.bias"), in_out=True),
                o=Linear(w(p + "attn.c_proj.weight"), w(p + "attn.c_proj.bias"), in_out=True),
                fc=Linear(w(p + "mlp.c_fc.weight"), w(p + "mlp.c_fc.bias"), in_out=True),
                proj=Linear(w(p + "mlp.c_proj.weight"), w(p + "mlp.c_proj.bias"), in_out=True),
                scale=scale or None))
        self.ln_f = (w("ln_f.weight"), w("ln_f.bias"))
        tied = c["tie_word_embeddings"]
        self.head = Head(self.wte if tied else w.head("lm_head.weight"), tied)
        self.B, self.max_len = batch, max_len
        self.cache = torch.zeros(c["n_layer"], 2, batch, self.nh, max_len, self.hd)

    def forward(self, ids, pos):
        """ids [B, T] at positions pos..pos+T-1 -> logits of the last position [B, vocab]."""
        B, T = ids.shape
        D, nh, hd, eps = self.D, self.nh, self.hd, self.eps
        x = (F.embedding(ids, self.wte) + self.wpe[pos:pos + T]).view(B * T, D)
        if T > 1 and pos != 0:
            raise ValueError("several tokens at once only for the prefill")
        mask = causal_window_mask(T) if T > 1 else None  # decode: no mask, the cache slice [0, pos] is the past
        for i, l in enumerate(self.layers):
            h = F.layer_norm(x, (D,), *l["ln1"], eps)
            qkv = l["qkv"](h).view(B, T, 3, nh, hd)
            kc, vc = self.cache[i, 0], self.cache[i, 1]
            kc[:, :, pos:pos + T].transpose(1, 2).copy_(qkv[:, :, 1])
            vc[:, :, pos:pos + T].transpose(1, 2).copy_(qkv[:, :, 2])
            ctx = attend(qkv[:, :, 0], kc, vc, 0, pos + T, mask, l["scale"])
            x = x + l["o"](ctx)
            h = F.layer_norm(x, (D,), *l["ln2"], eps)
            x = x + l["proj"](self.f(l["fc"](h)))
        last = x.view(B, T, D)[:, -1]
        return self.head(F.layer_norm(last, (D,), *self.ln_f, eps))

    def cache_bytes(self):
        return self.cache.numel() * self.cache.element_size()


# ----------------------------------------------------------------------------------------------------------
# LLaMA, Mistral, Qwen2
# ----------------------------------------------------------------------------------------------------------


def rms_norm(x, weight, eps):
    """LlamaRMSNorm in float32: weight * (x * rsqrt(mean(x^2) + eps))."""
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope(x, cos, sin, out=None):
    """x * cos + rotate_half(x) * sin (apply_rotary_pos_emb) on x [B, T, heads, hd] with cos, sin [T, 1, hd], into `out`
    (a view of the cache for keys): two fused multiply-adds on the halves instead of building rotate_half(x)."""
    h = x.shape[-1] // 2
    out = torch.mul(x, cos, out=out) if out is not None else x * cos
    out[..., :h].addcmul_(x[..., h:], sin[..., :h], value=-1.0)
    out[..., h:].addcmul_(x[..., :h], sin[..., h:])
    return out


class LlamaGenerator:
    """LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM (families/llama.py) over a static KV cache."""

    def __init__(self, config, params, batch, max_len, family):
        c, nkv, hd, qkv_bias, o_bias, mlp_bias = llama_like_shape(config, family)
        w = Weights(params, "model.")
        self.nh, self.nkv, self.hd = c["num_attention_heads"], nkv, hd
        self.eps = c["rms_norm_eps"]
        self.f = fast_act(c["hidden_act"])
        self.I = c["intermediate_size"]
        rope_scaling = None if family == "mistral" else c.get("rope_scaling")
        if rope_type_of(rope_scaling) == "dynamic":
            raise ValueError("rope_scaling 'dynamic' is not implemented by the cached reference (its frequencies "
                             "depend on the length of the sequence; see make_variants.NO_GENERATION)")
        if c.get("partial_rotary_factor", 1.0) != 1.0:
            raise ValueError("partial_rotary_factor is not implemented")
        inv_freq, attention_factor = rope_inv_freq(hd, c["rope_theta"], rope_scaling, c["max_position_embeddings"])
        cos, sin = rope_cos_sin(inv_freq, attention_factor, torch.arange(max_len).unsqueeze(0), torch.float32)
        self.cos, self.sin = cos[0].unsqueeze(1).contiguous(), sin[0].unsqueeze(1).contiguous()  # [Tmax, 1, hd]
        kinds = layer_types(c, family)
        self.embed = w("embed_tokens.weight")

        def b(name, on):
            return w(name) if on else None

        self.layers = []
        for i in range(c["num_hidden_layers"]):
            p = f"layers.{i}.self_attn."
            qkv_w = torch.cat([w(p + "q_proj.weight"), w(p + "k_proj.weight"), w(p + "v_proj.weight")])
            qkv_b = torch.cat([w(p + "q_proj.bias"), w(p + "k_proj.bias"), w(p + "v_proj.bias")]) if qkv_bias else None
            m = f"layers.{i}.mlp."
            gu_w = torch.cat([w(m + "gate_proj.weight"), w(m + "up_proj.weight")])
            gu_b = torch.cat([w(m + "gate_proj.bias"), w(m + "up_proj.bias")]) if mlp_bias else None
            self.layers.append(dict(
                ln1=w(f"layers.{i}.input_layernorm.weight"), ln2=w(f"layers.{i}.post_attention_layernorm.weight"),
                qkv=Linear(qkv_w, qkv_b), o=Linear(w(p + "o_proj.weight"), b(p + "o_proj.bias", o_bias)),
                gu=Linear(gu_w, gu_b), down=Linear(w(m + "down_proj.weight"), b(m + "down_proj.bias", mlp_bias)),
                window=c["sliding_window"] if kinds[i] == "sliding_attention" else None))
        self.norm = w("norm.weight")
        tied = c["tie_word_embeddings"]
        self.head = Head(self.embed if tied else w.head("lm_head.weight"), tied)
        self.scale = [math.sqrt(hd)]
        self.B, self.max_len = batch, max_len
        self.cache = torch.zeros(c["num_hidden_layers"], 2, batch, nkv, max_len, hd)

    def forward(self, ids, pos):
        """ids [B, T] at positions pos..pos+T-1 -> logits of the last position [B, vocab]."""
        B, T = ids.shape
        nh, nkv, hd, eps, I = self.nh, self.nkv, self.hd, self.eps, self.I
        x = F.embedding(ids, self.embed).view(B * T, -1)
        if T > 1 and pos != 0:
            raise ValueError("several tokens at once only for the prefill")
        cos, sin = self.cos[pos:pos + T], self.sin[pos:pos + T]
        masks = {}
        for i, l in enumerate(self.layers):
            win = l["window"]
            h = rms_norm(x, l["ln1"], eps)
            qkv = l["qkv"](h)  # [B * T, (nh + 2 nkv) hd]
            q = qkv[:, :nh * hd].view(B, T, nh, hd)
            k = qkv[:, nh * hd:(nh + nkv) * hd].view(B, T, nkv, hd)
            v = qkv[:, (nh + nkv) * hd:].view(B, T, nkv, hd)
            kc, vc = self.cache[i, 0], self.cache[i, 1]
            rope(k, cos, sin, out=kc[:, :, pos:pos + T].transpose(1, 2))
            vc[:, :, pos:pos + T].transpose(1, 2).copy_(v)
            q = rope(q, cos, sin)
            if T == 1:  # a decode step: no mask, the window is the slice of the cache it reads
                start = 0 if win is None else max(0, pos + 1 - win)
                ctx = attend(q, kc, vc, start, pos + 1, None, self.scale)
            else:  # the prefill (pos == 0)
                if win not in masks:
                    masks[win] = causal_window_mask(T, win)
                ctx = attend(q, kc, vc, 0, T, masks[win], self.scale)
            x = x + l["o"](ctx)
            h = rms_norm(x, l["ln2"], eps)
            gu = l["gu"](h)
            x = x + l["down"](self.f(gu[:, :I]) * gu[:, I:])
        last = x.view(B, T, -1)[:, -1]
        return self.head(rms_norm(last, self.norm, eps))

    def cache_bytes(self):
        return self.cache.numel() * self.cache.element_size()


# ----------------------------------------------------------------------------------------------------------
# T5
# ----------------------------------------------------------------------------------------------------------


def t5_norm(x, weight, eps):
    """T5LayerNorm in float32: weight * (x * rsqrt(mean(x^2) + eps)), no mean subtraction, no bias."""
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


class T5Generator:
    """T5ForConditionalGeneration (families/t5.py): the encoder once per call, cross-attention keys and values once per
    call, the decoder one token at a time over a static self-attention cache (max_len = new tokens)."""

    def __init__(self, config, params, batch, max_len):
        c = t5_resolve(config)
        self.c = c
        self.D, self.nh, self.dk = c["d_model"], c["num_heads"], c["d_kv"]
        self.eps = c["layer_norm_epsilon"]
        self.f = fast_act(c["dense_act_fn"])
        self.gated = c["is_gated_act"]
        self.shared = params["shared.weight"]
        self.start = generation.decoder_start_token_id(config)

        def attn(p, cross=False):
            q, k, v = (params[p + n + ".weight"] for n in ("q", "k", "v"))
            if cross:
                return dict(q=Linear(q), kv=Linear(torch.cat([k, v])), o=Linear(params[p + "o.weight"]))
            return dict(qkv=Linear(torch.cat([q, k, v])), o=Linear(params[p + "o.weight"]))

        def ff(p):
            d = dict(ln=params[p + "layer_norm.weight"], wo=Linear(params[p + "DenseReluDense.wo.weight"]))
            if self.gated:
                d["wi"] = Linear(torch.cat([params[p + "DenseReluDense.wi_0.weight"],
                                            params[p + "DenseReluDense.wi_1.weight"]]))
                d["F"] = params[p + "DenseReluDense.wi_0.weight"].shape[0]
            else:
                d["wi"] = Linear(params[p + "DenseReluDense.wi.weight"])
            return d

        self.enc = []
        for i in range(c["num_layers"]):
            p = f"encoder.block.{i}.layer."
            self.enc.append(dict(ln1=params[p + "0.layer_norm.weight"], sa=attn(p + "0.SelfAttention."), ff=ff(p + "1.")))
        self.dec = []
        for i in range(c["num_decoder_layers"]):
            p = f"decoder.block.{i}.layer."
            self.dec.append(dict(ln1=params[p + "0.layer_norm.weight"], sa=attn(p + "0.SelfAttention."),
                                 ln2=params[p + "1.layer_norm.weight"], ca=attn(p + "1.EncDecAttention.", cross=True),
                                 ff=ff(p + "2.")))
        self.enc_ln = params["encoder.final_layer_norm.weight"]
        self.dec_ln = params["decoder.final_layer_norm.weight"]
        self.enc_table = params["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
        dec_table = params["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
        # the decoder's position bias for every (query, key) position pair a call can reach: [nh, Tmax, Tmax]
        ctx = torch.arange(max_len)[:, None]
        mem = torch.arange(max_len)[None, :]
        bucket = t5_relative_position_bucket(mem - ctx, False, c["relative_attention_num_buckets"],
                                             c["relative_attention_max_distance"])
        self.dec_bias = F.embedding(bucket, dec_table).permute(2, 0, 1).contiguous()
        tied = c["tie_word_embeddings"]
        self.tied = tied
        self.head = Head(self.shared if tied else params["lm_head.weight"], tied)
        self.B, self.max_len = batch, max_len
        L = c["num_decoder_layers"]
        self.cache = torch.zeros(L, 2, batch, self.nh, max_len, self.dk)
        self.cross = None  # per call: [L] of (k, v) [B, nh, S, dk]

    def _ff(self, d, x):
        h = t5_norm(x, d["ln"], self.eps)
        if self.gated:
            gu = d["wi"](h)
            h = self.f(gu[:, :d["F"]]) * gu[:, d["F"]:]
        else:
            h = self.f(d["wi"](h))
        return x + d["wo"](h)

    def encode(self, ids):
        """The encoder over the prompt (no padding: no mask), then each decoder layer's cross-attention keys/values."""
        B, S = ids.shape
        nh, dk, eps = self.nh, self.dk, self.eps
        x = F.embedding(ids, self.shared).view(B * S, -1)
        ctx = torch.arange(S)[:, None]
        bucket = t5_relative_position_bucket(torch.arange(S)[None, :] - ctx, True,
                                             self.c["relative_attention_num_buckets"],
                                             self.c["relative_attention_max_distance"])
        bias = F.embedding(bucket, self.enc_table).permute(2, 0, 1).unsqueeze(0)  # [1, nh, S, S]
        for l in self.enc:
            h = t5_norm(x, l["ln1"], eps)
            qkv = l["sa"]["qkv"](h).view(B, S, 3, nh, dk)
            k = qkv[:, :, 1].transpose(1, 2)  # [B, nh, S, dk]
            v = qkv[:, :, 2].transpose(1, 2)
            x = x + l["sa"]["o"](attend(qkv[:, :, 0], k, v, 0, S, None, None, bias))
            x = self._ff(l["ff"], x)
        enc = t5_norm(x, self.enc_ln, eps)
        self.cross = []
        for l in self.dec:
            kv = l["ca"]["kv"](enc).view(B, S, 2, nh, dk)
            self.cross.append((kv[:, :, 0].transpose(1, 2), kv[:, :, 1].transpose(1, 2)))
        self.S = S

    def step(self, ids, pos):
        """One decoder token ids [B, 1] at position pos -> logits [B, vocab]."""
        B = ids.shape[0]
        nh, dk, eps = self.nh, self.dk, self.eps
        x = F.embedding(ids, self.shared).view(B, -1)
        bias = self.dec_bias[:, pos:pos + 1, :pos + 1].unsqueeze(0)  # [1, nh, 1, pos + 1]
        for i, l in enumerate(self.dec):
            h = t5_norm(x, l["ln1"], eps)
            qkv = l["sa"]["qkv"](h).view(B, 1, 3, nh, dk)
            kc, vc = self.cache[i, 0], self.cache[i, 1]
            kc[:, :, pos:pos + 1].transpose(1, 2).copy_(qkv[:, :, 1])
            vc[:, :, pos:pos + 1].transpose(1, 2).copy_(qkv[:, :, 2])
            x = x + l["sa"]["o"](attend(qkv[:, :, 0], kc, vc, 0, pos + 1, None, None, bias))
            h = t5_norm(x, l["ln2"], eps)
            q = l["ca"]["q"](h).view(B, 1, nh, dk)
            k, v = self.cross[i]
            x = x + l["ca"]["o"](attend(q, k, v, 0, self.S, None, None))  # no mask: no padding
            x = self._ff(l["ff"], x)
        x = t5_norm(x, self.dec_ln, eps)
        if self.tied:  # T5ForConditionalGeneration rescales before a tied head
            x = x * (self.D ** -0.5)
        return self.head(x)

    def cache_bytes(self):
        return self.cache.numel() * self.cache.element_size()


# ----------------------------------------------------------------------------------------------------------
# greedy decoding
# ----------------------------------------------------------------------------------------------------------


def build(config, params, batch, prompt_len, new_tokens):
    arch = config["architectures"][0]
    kind = ref.kind_of(arch)
    if arch == "GPT2LMHeadModel":
        return GPT2Generator(config, params, batch, prompt_len + new_tokens), kind
    for prefix, family in (("Llama", "llama"), ("Mistral", "mistral"), ("Qwen2", "qwen2")):
        if arch == prefix + "ForCausalLM":
            return LlamaGenerator(config, params, batch, prompt_len + new_tokens, family), kind
    if arch == "T5ForConditionalGeneration":
        return T5Generator(config, params, batch, new_tokens), kind
    raise ValueError(f"{arch}: no cached generation here (GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, "
                     "Qwen2ForCausalLM, T5ForConditionalGeneration)")


class Greedy:
    """Runs greedy decoding of exactly N tokens; prefill() and step() are the two timed pieces."""

    def __init__(self, model, kind, prompt, new_tokens):
        self.m, self.kind, self.prompt, self.N = model, kind, prompt, new_tokens
        B, S = prompt.shape
        self.S = S
        self.out = torch.empty(B, new_tokens, dtype=torch.int64)
        self.tok = None

    def prefill(self):
        """TTFT's work: the prompt's forward (T5: encoder, cross keys/values, the start token's step) and the first
        argmax. Returns the logits it took token 0 from."""
        if self.kind == "seq2seq":
            self.m.encode(self.prompt)
            start = torch.full((self.prompt.shape[0], 1), self.m.start, dtype=torch.int64)
            logits = self.m.step(start, 0)
        else:
            logits = self.m.forward(self.prompt, 0)
        self.tok = logits.argmax(-1)  # [B], stays a tensor
        self.out[:, 0] = self.tok
        return logits

    def step(self, i):
        """Decode step i (1..N-1): the previous token in, token i out."""
        if self.kind == "seq2seq":
            logits = self.m.step(self.tok.unsqueeze(1), i)
        else:
            logits = self.m.forward(self.tok.unsqueeze(1), self.S + i - 1)
        self.tok = logits.argmax(-1)
        self.out[:, i] = self.tok
        return logits

    def run(self, keep_logits=False):
        logits = [self.prefill()]
        for i in range(1, self.N):
            logits.append(self.step(i))
        return self.out.clone(), (torch.stack(logits) if keep_logits else None)

    def generated_ids(self):
        """In the format of generate.safetensors: prompt + tokens (T5: decoder start + tokens)."""
        if self.kind == "seq2seq":
            first = torch.full((self.out.shape[0], 1), self.m.start, dtype=torch.int64)
        else:
            first = self.prompt
        return torch.cat([first, self.out], dim=1)

    def timed_call(self):
        """One call timed as tfbench times it: (ttft, [step latencies], e2e) in seconds."""
        clock = time.perf_counter
        t0 = clock()
        self.prefill()
        t1 = clock()
        itl = []
        for i in range(1, self.N):
            s = clock()
            self.step(i)
            itl.append(clock() - s)
        t2 = clock()
        return t1 - t0, itl, t2 - t0


# ----------------------------------------------------------------------------------------------------------
# models and weights
# ----------------------------------------------------------------------------------------------------------


def param_spec(config):
    arch = config["architectures"][0]
    if arch.startswith("GPT2"):
        return mv.gpt2_params(dict(GPT2_DEFAULTS, **config))
    for prefix, family in (("Llama", "llama"), ("Mistral", "mistral"), ("Qwen2", "qwen2")):
        if arch.startswith(prefix):
            return mv.llama_params(config, family)
    if arch.startswith("T5"):
        return mv.t5_params(config)
    raise ValueError(f"{arch}: not a generation architecture")


def random_params(config, seed):
    """Weights as Hugging Face initialises them: matrices, embeddings and T5 position biases N(0, 0.02), norm
    weights 1, biases 0 (make_variants' parameter lists, HF names). Seeded."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, (shape, role) in sorted(param_spec(config).items()):
        if role == "norm":
            out[name] = torch.ones(shape)
        elif role == "bias":
            out[name] = torch.zeros(shape)
        else:
            out[name] = torch.empty(shape).normal_(0.0, 0.02, generator=g)
    return out


def load_model(spec, seed):
    """--model: a built-in name, a config.json, or a checkpoint directory. Returns (name, config, params, source)."""
    if spec in BUILTIN:
        config = dict(BUILTIN[spec])
        return spec, config, random_params(config, seed), "built-in shape, random weights"
    if os.path.isdir(spec):
        config, params = ref.load_checkpoint(spec)
        return os.path.basename(os.path.normpath(spec)), config, params, "checkpoint weights"
    with open(spec) as f:
        config = json.load(f)
    return os.path.basename(os.path.dirname(os.path.abspath(spec))), config, random_params(config, seed), \
        "config.json, random weights"


# ----------------------------------------------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------------------------------------------


def quantile(sorted_values, q):
    """Linear interpolation between closest ranks (numpy's default; tfbench's stats/summary.ts quantile)."""
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def blas_library():
    """The BLAS library this process has loaded (its resolved path), from /proc/self/maps after a product ran."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    found = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if "/" in line else ""
            if "blas" in os.path.basename(path).lower():
                found.add(os.path.realpath(path))
    return sorted(found)


def measure(args):
    torch.set_num_threads(args.threads)
    name, config, params, source = load_model(args.model, args.seed)
    B, S, N = args.batch_size, args.prompt_length, args.new_tokens
    if N < 2:
        raise ValueError("--new-tokens must be at least 2 (TPOT needs a decode step)")
    t_build = time.perf_counter()
    with torch.inference_mode():
        model, kind = build(config, params, B, S, N)
    del params
    build_s = time.perf_counter() - t_build
    g = torch.Generator().manual_seed(args.seed + 1)
    prompt = torch.randint(0, config["vocab_size"], (B, S), generator=g, dtype=torch.int64)
    run = Greedy(model, kind, prompt, N)
    load_before = os.getloadavg()[0]  # the VM is shared: a busy one shows here
    calls = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            run.timed_call()
        start = time.perf_counter()
        while len(calls) < args.calls or time.perf_counter() - start < args.min_time:
            calls.append(run.timed_call())
    ttft = [c[0] for c in calls]
    e2e = [c[2] for c in calls]
    decode = [c[2] - c[0] for c in calls]
    itl = sorted(x for c in calls for x in c[1])
    weight_bytes = sum(t.numel() * t.element_size() for t in _tensors_of(model))
    result = dict(
        model=name, architecture=config["architectures"][0], source=source, batch_size=B, prompt_length=S,
        new_tokens=N, dtype="float32", device="cpu", threads=torch.get_num_threads(), torch_version=torch.__version__,
        blas=blas_library(), glibc_tunables=os.environ.get("GLIBC_TUNABLES"), loadavg_1min_before=load_before,
        warmup_calls=args.warmup,
        calls=len(calls), build_s=build_s, weight_bytes=weight_bytes, kv_cache_bytes=model.cache_bytes(),
        median=dict(
            ttft_s=statistics.median(ttft),
            tpot_s=statistics.median(d / (N - 1) for d in decode),
            itl_p50_s=quantile(itl, 0.5), itl_p90_s=quantile(itl, 0.9), itl_p99_s=quantile(itl, 0.99),
            prefill_tokens_per_s=statistics.median(B * S / t for t in ttft),
            decode_tokens_per_s=statistics.median(B * (N - 1) / d for d in decode),
            e2e_s=statistics.median(e2e)),
        first_row_tokens=run.out[0].tolist(),
        per_call=[dict(ttft_s=c[0], e2e_s=c[2], itl_s=c[1]) for c in calls])
    return result


def _tensors_of(model):
    """The distinct weight tensors a generator holds (shared ones once), for the weight byte count."""
    seen, out = set(), []

    def visit(v):
        if isinstance(v, torch.Tensor):
            if v.data_ptr() not in seen and v is not getattr(model, "cache", None):
                seen.add(v.data_ptr())
                out.append(v)
        elif isinstance(v, (Linear, Head)):
            for s in v.__slots__:
                visit(getattr(v, s))
        elif isinstance(v, dict):
            for x in v.values():
                visit(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                visit(x)

    for k, v in vars(model).items():
        if k not in ("cache", "cross", "cos", "sin", "dec_bias"):
            visit(v)
    return out


# ----------------------------------------------------------------------------------------------------------
# correctness
# ----------------------------------------------------------------------------------------------------------


def default_references():
    """(checkpoint dir, generation reference) pairs: the variants' generate.safetensors, the shared generation files."""
    pairs = []
    if os.path.isdir(VARIANTS):
        for case in sorted(os.listdir(VARIANTS)):
            path = os.path.join(VARIANTS, case, "generate.safetensors")
            if os.path.isfile(path):
                pairs.append((os.path.join(VARIANTS, case), path))
    gen_dir = os.path.join(SHARED, "generation")
    if os.path.isdir(gen_dir):
        for f in sorted(os.listdir(gen_dir)):
            if f.endswith(".safetensors"):
                pairs.append((os.path.join(SHARED, "parity", f[:-len(".safetensors")]), os.path.join(gen_dir, f)))
    return pairs


def cached_greedy(config, params, prompt, new_tokens):
    """The cached decoder's (generated_ids in the fixture format, step logits [N, B, vocab])."""
    with torch.inference_mode():
        model, kind = build(config, params, prompt.shape[0], prompt.shape[1], new_tokens)
        run = Greedy(model, kind, prompt, new_tokens)
        _, logits = run.run(keep_logits=True)
        return run.generated_ids(), logits.float()


def long_check(config, params, tol, batch=3, prompt_len=9, max_new=20, seed=0, compare_ids=True):
    """A longer cached run against full recomputation on the same tokens: (ok, max |diff|, ids equal, line). The
    logits must agree within tol; the ids must equal generation.greedy's unless some step had a near-tie (top-1 margin
    under 1e-3), where float32 rounding may legitimately pick the other token (then the line says so)."""
    arch = config["architectures"][0]
    limit = None
    if arch.startswith("GPT2"):
        limit = dict(GPT2_DEFAULTS, **config)["n_positions"]
    N = max_new if limit is None else min(max_new, limit - prompt_len)
    prompt = generation.prompt_ids(config["vocab_size"], seed, batch, prompt_len)
    ids, logits = cached_greedy(config, params, prompt, N)
    full = generation.teacher_forced_step_logits(config, params, prompt, ids, arch)
    diff = (logits - full).abs()
    ok = not bool((diff > tol + tol * full.abs()).any())
    line = (f"long run B={batch} S={prompt_len} N={N}: step_logits vs full recomputation max |diff| "
            f"{diff.max().item():.3e} (logits up to {full.abs().max().item():.3g})")
    ids_equal = None
    if compare_ids:
        ref_ids, _ = generation.greedy(config, params, prompt, N, arch)
        ids_equal = bool(torch.equal(ref_ids, ids))
        line += f", ids {'equal to' if ids_equal else 'DIFFER from'} generation.greedy's"
        if not ids_equal:
            margin = generation.min_top1_margin(full)
            line += f" (smallest top-1 margin {margin:.2e})"
            ok = ok and margin < 1e-3
    return ok, diff.max().item(), ids_equal, line


def check(args):
    torch.set_num_threads(args.threads)
    pairs = default_references() if not args.paths else []
    for p in args.paths:
        if os.path.isfile(p):  # a shared generation file: its checkpoint is parity/<case>
            case = os.path.basename(p)[:-len(".safetensors")]
            pairs.append((os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(p))), "parity", case), p))
        else:
            pairs.append((p, os.path.join(p, "generate.safetensors")))
    all_ok = bool(pairs)
    for case_dir, reference in pairs:
        config, params = ref.load_checkpoint(case_dir)
        expected, meta = ref.read_safetensors(reference)
        n = int(meta.get("new_tokens", expected["step_logits"].shape[0]))
        ids, logits = cached_greedy(config, params, expected["prompt_ids"], n)
        ok, ids_equal, max_diff, problems = generation.compare(expected, ids, logits, args.tol)
        lok, _, lids, line = long_check(config, params, args.tol)
        ok = ok and lok
        all_ok &= ok
        print(f"{'PASS' if ok else 'FAIL'} {os.path.relpath(reference)}: ids {'equal' if ids_equal else 'DIFFER'}, "
              f"step_logits max |diff| {max_diff:.3e}")
        print("    " + line)
        for p in problems:
            print("    " + p)
    print("cached greedy decoding matches" if all_ok else "MISMATCH")
    return 0 if all_ok else 1


def check_builtin(args):
    torch.set_num_threads(args.threads)
    all_ok = True
    for name in BUILTIN:
        config = dict(BUILTIN[name])
        params = random_params(config, args.seed)
        ok, md, _, line = long_check(config, params, args.tol, batch=2, prompt_len=8, max_new=4, compare_ids=False)
        all_ok &= ok
        print(f"{'PASS' if ok else 'FAIL'} {name} (random N(0, 0.02) weights): {line}")
    print("cached decoding matches full recomputation" if all_ok else "MISMATCH")
    return 0 if all_ok else 1


def physical_cores():
    """The physical cores this process may run on (distinct (package, core) pairs of its CPUs), as tfbench counts
    them for its default thread count. (torch 1.13's own default, omp_get_max_threads(), gave 1 on the 2-core VM.)"""
    cores = set()
    for cpu in os.sched_getaffinity(0):
        topo = f"/sys/devices/system/cpu/cpu{cpu}/topology/"
        try:
            with open(topo + "physical_package_id") as f, open(topo + "core_id") as g:
                cores.add((f.read().strip(), g.read().strip()))
        except OSError:
            cores.add(("?", str(cpu)))
    return max(1, len(cores))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="gpt2", help=f"{' | '.join(BUILTIN)} | config.json | checkpoint directory")
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--prompt-length", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=physical_cores(),
                    help="torch.set_num_threads (default: one per physical core, tfbench's default on the CPU: "
                         "%(default)s here)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed calls first (default %(default)s)")
    ap.add_argument("--calls", type=int, default=6, help="timed calls at least (default %(default)s)")
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timed calls at least (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="weights from seed, prompt from seed + 1")
    ap.add_argument("--check", nargs="*", dest="paths", default=None, metavar="DIR",
                    help="check the cached decoder on generation references (default: all known) and exit")
    ap.add_argument("--check-builtin", action="store_true",
                    help="check the cached decoder on the built-in shapes against full recomputation and exit")
    ap.add_argument("--tol", type=float, default=1e-4, help="atol = rtol of the checks (default %(default)s)")
    ap.add_argument("--glibc-tunables", default=TFBENCH_TUNABLES,
                    help="GLIBC_TUNABLES a measurement runs with (default: tfbench's cells'; \"\": the environment's)")
    args = ap.parse_args()
    if args.paths is not None:
        return check(args)
    if args.check_builtin:
        return check_builtin(args)
    current = os.environ.get("GLIBC_TUNABLES", "")
    if args.glibc_tunables and args.glibc_tunables not in current:  # glibc reads them at start-up: run again
        os.environ["GLIBC_TUNABLES"] = ":".join(t for t in (args.glibc_tunables, current) if t)
        os.execv(sys.executable, [sys.executable] + sys.argv)
    result = measure(args)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
