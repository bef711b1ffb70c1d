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


def rope_inv_freq(dim, theta, rope_scaling=None, max_position_embeddings=None, seq_len=None):
    """ROPE_INIT_FUNCTIONS[rope_type] of modeling_rope_utils: (inv_freq [dim / 2] float32, attention_factor).
    "default", "linear", "llama3" as in 4.47 (attention_factor 1.0); "dynamic" and "yarn" as current transformers
    define them (main, v5: _compute_dynamic_ntk_parameters, _compute_yarn_parameters). Float32 with the same
    operation order: python scalars against float32 tensors. seq_len: the length the rotary embedding is called
    for (max(position_ids) + 1), which only "dynamic" reads."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rope_type = rope_type_of(rope_scaling)
    if rope_type == "default":
        return inv_freq, 1.0
    if rope_type == "linear":  # _compute_linear_scaling_rope_parameters
        return inv_freq / rope_scaling["factor"], 1.0
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
        return torch.where(medium, smoothed, scaled), 1.0
    if rope_type == "dynamic":
        return dynamic_ntk_inv_freq(dim, theta, rope_scaling["factor"], max_position_embeddings, seq_len), 1.0
    if rope_type == "yarn":
        return yarn_inv_freq(dim, theta, rope_scaling, max_position_embeddings)
    raise ValueError(f"rope_type {rope_type!r} not implemented (only default, linear, llama3, dynamic, yarn)")


def dynamic_ntk_inv_freq(dim, theta, factor, max_position_embeddings, seq_len):
    """Dynamic NTK: the base grows with the sequence length once it passes max_position_embeddings (the config's;
    dynamic does not read original_max_position_embeddings):
        L = max(seq_len, max_position_embeddings)
        base = theta * (factor * L / max_position_embeddings - (factor - 1)) ** (dim / (dim - 2))
    which is theta itself for L = max_position_embeddings. transformers' dynamic_rope_update passes seq_len as the
    int64 tensor max(position_ids) + 1, so the new base is a float32 0-dim tensor; the same here."""
    L = torch.maximum(torch.tensor(seq_len), torch.tensor(max_position_embeddings))
    base = theta * ((factor * L / max_position_embeddings) - (factor - 1)) ** (dim / (dim - 2))
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def yarn_inv_freq(dim, theta, rope_scaling, max_position_embeddings):
    """YaRN: frequencies that turn fewer than beta_slow times over the original context are interpolated
    (divided by factor), those that turn more than beta_fast times are kept, a linear ramp over the dimension
    index blends the two in between; cos and sin are then scaled by attention_factor. Returns
    (inv_freq, attention_factor). original_max_position_embeddings defaults to max_position_embeddings (as
    RotaryEmbeddingConfigMixin.standardize_rope_params fills it); factor None means
    max_position_embeddings / original_max_position_embeddings."""
    original = rope_scaling.get("original_max_position_embeddings", max_position_embeddings)
    factor = rope_scaling.get("factor")
    if factor is None:
        factor = max_position_embeddings / original

    def mscale_of(scale, mscale=1):
        return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0

    attention_factor = rope_scaling.get("attention_factor")
    if attention_factor is None:
        mscale, mscale_all_dim = rope_scaling.get("mscale"), rope_scaling.get("mscale_all_dim")
        if mscale and mscale_all_dim:
            attention_factor = float(mscale_of(factor, mscale) / mscale_of(factor, mscale_all_dim))
        else:
            attention_factor = mscale_of(factor)
    beta_fast = rope_scaling.get("beta_fast") or 32  # `or`: 0 and None both mean the default
    beta_slow = rope_scaling.get("beta_slow") or 1

    def correction_dim(rotations):  # the dimension index whose frequency turns `rotations` times in `original`
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(theta))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if rope_scaling.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    pos_freqs = theta ** (torch.arange(0, dim, 2).float() / dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    keep = 1 - ramp  # 1: the frequency as trained, 0: divided by factor
    return interpolation * (1 - keep) + extrapolation * keep, attention_factor


def rope_cos_sin(inv_freq, attention_factor, position_ids, dtype):
    """LlamaRotaryEmbedding.forward (modeling_llama.py): inv_freq [dim / 2] and the angles in float32 whatever the
    model's dtype, cos/sin times attention_factor, cast to the activations' dtype at the end. Returns cos, sin
    [B, T, dim]. inv_freq stays float32 in a bfloat16 model loaded with from_pretrained(torch_dtype=torch.bfloat16):
    it is computed in float32 (arange(...).float()) and not loaded from the checkpoint. (model.to(torch.bfloat16)
    would round the buffer to bfloat16 as well; the reference follows from_pretrained.)"""
    B = position_ids.shape[0]
    inv = inv_freq[None, :, None].float().expand(B, -1, 1)
    pos = position_ids[:, None, :].float()
    freqs = (inv.float() @ pos.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos() * attention_factor, emb.sin() * attention_factor
    return cos.to(dtype), sin.to(dtype)


def layer_types(c, family):
    """Each layer's attention: "full_attention" or "sliding_attention" (a window of c["sliding_window"] keys).
    Qwen2 as current transformers define it (Qwen2Config.__init__): a stored layer_types list wins; otherwise the
    layers from index max_window_layers on slide, when use_sliding_window is set (sliding_window is None
    otherwise). (transformers 4.47's eager Qwen2 instead applied the window to every layer, warning that
    max_window_layers was not implemented.) Mistral slides on every layer when sliding_window is set; LLaMA never."""
    n = c["num_hidden_layers"]
    if family == "qwen2":
        if c.get("layer_types") is not None:
            return list(c["layer_types"])
        window = c.get("sliding_window") if c.get("use_sliding_window") else None
        return ["sliding_attention" if window is not None and i >= c["max_window_layers"] else "full_attention"
                for i in range(n)]
    if family == "mistral" and c.get("sliding_window") is not None:
        return ["sliding_attention"] * n
    return ["full_attention"] * n


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
    x = embedding(input_ids, w("embed_tokens.weight"), padding_idx=c.get("pad_token_id"))
    position_ids = torch.arange(T).unsqueeze(0)
    # MistralRotaryEmbedding (4.47) is built from head_dim, max_position_embeddings and rope_theta alone:
    # MistralConfig has no rope_scaling field and the model never reads one.
    rope_scaling = None if family == "mistral" else c.get("rope_scaling")
    inv_freq, attention_factor = rope_inv_freq(int(hd * c.get("partial_rotary_factor", 1.0)), c["rope_theta"],
                                               rope_scaling, c["max_position_embeddings"], seq_len=T)
    cos, sin = rope_cos_sin(inv_freq, attention_factor, position_ids, x.dtype)
    kinds = layer_types(c, family)
    masks = {kind: causal_mask(attention_mask, B, T, x.dtype, torch.finfo(x.dtype).min,
                               c["sliding_window"] if kind == "sliding_attention" else None)
             for kind in set(kinds)}

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
        scores = scores + masks[kinds[i]][:, :, :, : k.shape[-2]]
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


