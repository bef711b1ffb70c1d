"""The LLaMA family (LlamaModel/LlamaForCausalLM, MistralModel/MistralForCausalLM, Qwen2Model/Qwen2ForCausalLM;
modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, rotary parameters from modeling_rope_utils.py)."""
import math

import torch

from .common import (Weights, act, causal_lm_loss, causal_mask, embedding, linear, softmax_in_float32,
                     with_lm_head)

LLAMA_DEFAULTS = dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=None, hidden_act="silu",
                      max_position_embeddings=2048, initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True,
                      pad_token_id=None, bos_token_id=1, eos_token_id=2, pretraining_tp=1,
                      tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None, attention_bias=False,
                      attention_dropout=0.0, mlp_bias=False, head_dim=None)
MISTRAL_DEFAULTS = dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                        num_attention_heads=32, num_key_value_heads=8, head_dim=None, hidden_act="silu",
                        max_position_embeddings=4096 * 32, initializer_range=0.02, rms_norm_eps=1e-6,
                        use_cache=True, pad_token_id=None, bos_token_id=1, eos_token_id=2,
                        tie_word_embeddings=False, rope_theta=10000.0, sliding_window=4096, attention_dropout=0.0)
QWEN2_DEFAULTS = dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=32, hidden_act="silu",
                      max_position_embeddings=32768, initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True,
                      tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None, use_sliding_window=False,
                      sliding_window=4096, max_window_layers=28, attention_dropout=0.0, pad_token_id=None)


def rms_norm(x, weight, eps):
    """LlamaRMSNorm.forward / MistralRMSNorm / Qwen2RMSNorm (modeling_llama.py etc., 4.47): normalised in float32,
    cast back to the input's dtype, then multiplied by the weight (in the weight's dtype: bfloat16 * bfloat16)."""
    dtype = x.dtype
    h = x.to(torch.float32)
    var = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(var + eps)
    return weight * h.to(dtype)


def rope_type_of(rope_scaling):
    """The rope type transformers 4.47 resolves: LlamaConfig/Qwen2Config.__init__ copy a legacy "type" key over
    "rope_type" (so "type" wins when both are present); rope_scaling None means "default". A dict with neither key
    fails in LlamaRotaryEmbedding (ROPE_INIT_FUNCTIONS[None]), so it fails here too."""
    if rope_scaling is None:
        return "default"
    if "type" in rope_scaling:
        return rope_scaling["type"]
    if "rope_type" not in rope_scaling:
        raise ValueError(f"rope_scaling {rope_scaling!r} has neither 'rope_type' nor 'type'")
    return rope_scaling["rope_type"]


def rope_inv_freq(dim, theta, rope_scaling=None):
    """modeling_rope_utils (4.47) ROPE_INIT_FUNCTIONS for "default", "linear" and "llama3", in float32 with the
    same operation order (python scalars against float32 tensors); attention_scaling is 1.0 for all three."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rope_type = rope_type_of(rope_scaling)
    if rope_type == "default":
        return inv_freq
    if rope_type == "linear":  # _compute_linear_scaling_rope_parameters
        return inv_freq / rope_scaling["factor"]
    if rope_type == "llama3":  # _compute_llama3_parameters
        factor = rope_scaling["factor"]
        low_freq_factor = rope_scaling["low_freq_factor"]
        high_freq_factor = rope_scaling["high_freq_factor"]
        old_context_len = rope_scaling["original_max_position_embeddings"]
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        wavelen = 2 * math.pi / inv_freq
        # long wavelengths (low frequencies) are divided by factor, short ones kept
        scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        # the band in between is interpolated with a smooth factor
        smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        return torch.where(medium, smoothed, scaled)
    raise ValueError(f"rope_type {rope_type!r} not implemented (only default, linear, llama3)")


def rope_cos_sin(head_dim, theta, position_ids, dtype, rope_scaling=None, partial_rotary_factor=1.0):
    """ROPE_INIT_FUNCTIONS[rope_type] + LlamaRotaryEmbedding.forward (modeling_llama.py, 4.47): inv_freq and the
    angles in float32 whatever the model's dtype, cos/sin cast to the activations' dtype at the end. inv_freq stays
    float32 in a bfloat16 model loaded with from_pretrained(torch_dtype=torch.bfloat16): it is computed in float32
    (arange(...).float()) and not loaded from the checkpoint. (model.to(torch.bfloat16) would round the buffer to
    bfloat16 as well; the reference follows from_pretrained.)"""
    dim = int(head_dim * partial_rotary_factor)
    inv_freq = rope_inv_freq(dim, theta, rope_scaling)
    B = position_ids.shape[0]
    inv = inv_freq[None, :, None].float().expand(B, -1, 1)
    pos = position_ids[:, None, :].float()
    freqs = (inv.float() @ pos.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(q, k, cos, sin):
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def repeat_kv(x, n_rep):
    B, nkv, T, hd = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(B, nkv, n_rep, T, hd).reshape(B, nkv * n_rep, T, hd)


def llama_like_shape(c, family):
    """A LLaMA-family config with its class defaults, and what it implies for the parameters:
    (config, key/value heads, head size, q/k/v bias, o_proj bias, MLP bias)."""
    defaults = {"llama": LLAMA_DEFAULTS, "mistral": MISTRAL_DEFAULTS, "qwen2": QWEN2_DEFAULTS}[family]
    c = dict(defaults, **c)
    H, nh = c["hidden_size"], c["num_attention_heads"]
    nkv = c["num_key_value_heads"] if c.get("num_key_value_heads") is not None else nh
    if family == "qwen2":
        hd = H // nh  # Qwen2 (4.47) does not read head_dim
    else:
        hd = c["head_dim"] if c.get("head_dim") is not None else H // nh
    if family == "llama":
        biases = (c["attention_bias"], c["attention_bias"], c["mlp_bias"])
    elif family == "qwen2":
        biases = (True, False, False)
    else:
        biases = (False, False, False)
    return (c, nkv, hd) + biases


def llama_like_forward(c, params, arch, input_ids, attention_mask, labels, family):
    c, nkv, hd, qkv_bias, o_bias, mlp_bias = llama_like_shape(c, family)
    w = Weights(params, "model.")
    B, T = input_ids.shape
    nh = c["num_attention_heads"]
    eps = c["rms_norm_eps"]
    f = act(c["hidden_act"])
    sliding = None
    if family == "mistral":
        sliding = c.get("sliding_window")
    elif family == "qwen2" and c.get("use_sliding_window"):
        sliding = c.get("sliding_window")

    x = embedding(input_ids, w("embed_tokens.weight"), padding_idx=c.get("pad_token_id"))
    position_ids = torch.arange(T).unsqueeze(0)
    # MistralRotaryEmbedding (4.47) is built from head_dim, max_position_embeddings and rope_theta alone:
    # MistralConfig has no rope_scaling field and the model never reads one.
    rope_scaling = None if family == "mistral" else c.get("rope_scaling")
    cos, sin = rope_cos_sin(hd, c["rope_theta"], position_ids, x.dtype, rope_scaling,
                            c.get("partial_rotary_factor", 1.0))
    mask = causal_mask(attention_mask, B, T, x.dtype, torch.finfo(x.dtype).min, sliding)

    def b(name, on):
        return w(name) if on else None

    for i in range(c["num_hidden_layers"]):
        p = f"layers.{i}."
        h = rms_norm(x, w(p + "input_layernorm.weight"), eps)
        q = linear(h, w(p + "self_attn.q_proj.weight"), b(p + "self_attn.q_proj.bias", qkv_bias))
        k = linear(h, w(p + "self_attn.k_proj.weight"), b(p + "self_attn.k_proj.bias", qkv_bias))
        v = linear(h, w(p + "self_attn.v_proj.weight"), b(p + "self_attn.v_proj.bias", qkv_bias))
        q = q.view(B, T, -1, hd).transpose(1, 2)
        k = k.view(B, T, -1, hd).transpose(1, 2)
        v = v.view(B, T, -1, hd).transpose(1, 2)
        q, k = apply_rope(q, k, cos, sin)
        k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(hd)
        scores = scores + mask[:, :, :, : k.shape[-2]]
        probs = softmax_in_float32(scores)  # q, k and so the scores are in the working dtype
        ctx = torch.matmul(probs, v).transpose(1, 2).contiguous().reshape(B, T, -1)
        x = x + linear(ctx, w(p + "self_attn.o_proj.weight"), b(p + "self_attn.o_proj.bias", o_bias))
        h = rms_norm(x, w(p + "post_attention_layernorm.weight"), eps)
        g = f(linear(h, w(p + "mlp.gate_proj.weight"), b(p + "mlp.gate_proj.bias", mlp_bias)))
        u = linear(h, w(p + "mlp.up_proj.weight"), b(p + "mlp.up_proj.bias", mlp_bias))
        x = x + linear(g * u, w(p + "mlp.down_proj.weight"), b(p + "mlp.down_proj.bias", mlp_bias))
    x = rms_norm(x, w("norm.weight"), eps)
    out = {"last_hidden_state": x}
    if arch.endswith("Model"):
        return out
    head = w("embed_tokens.weight") if c["tie_word_embeddings"] else w.head("lm_head.weight")
    return with_lm_head(out, linear(x, head), labels, causal_lm_loss)


