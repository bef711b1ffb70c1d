"""T5 (T5Model, T5ForConditionalGeneration; modeling_t5.py)."""
import math

import torch
import torch.nn.functional as F

from .common import (Weights, act, causal_mask, cross_entropy, extended_mask, linear, softmax_in_float32,
                     with_lm_head)

T5_DEFAULTS = dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_decoder_layers=None,
                   num_heads=8, relative_attention_num_buckets=32, relative_attention_max_distance=128,
                   dropout_rate=0.1, layer_norm_epsilon=1e-6, initializer_factor=1.0, feed_forward_proj="relu",
                   is_encoder_decoder=True, use_cache=True, pad_token_id=0, eos_token_id=1,
                   classifier_dropout=0.0, tie_word_embeddings=True)


def t5_resolve(c):
    c = dict(T5_DEFAULTS, **c)
    if c["num_decoder_layers"] is None:
        c["num_decoder_layers"] = c["num_layers"]
    parts = c["feed_forward_proj"].split("-")
    if len(parts) > 1 and parts[0] != "gated" or len(parts) > 2:
        raise ValueError(f"bad feed_forward_proj {c['feed_forward_proj']!r}")
    # T5Config.__init__ derives these; a stored dense_act_fn / is_gated_act (as save_pretrained writes them)
    # is re-applied afterwards by PretrainedConfig's **kwargs, so a stored value wins.
    derived_act = "gelu_new" if c["feed_forward_proj"] == "gated-gelu" else parts[-1]
    c.setdefault("dense_act_fn", derived_act)
    c.setdefault("is_gated_act", parts[0] == "gated")
    return c


def t5_layer_norm(x, weight, eps):
    """T5LayerNorm.forward (modeling_t5.py, 4.47): RMS over the last dim with the variance in float32, no mean
    subtraction, no bias; x * rsqrt(...) promotes to float32, cast to the weight's dtype when that is 16-bit."""
    var = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    x = x * torch.rsqrt(var + eps)
    if weight.dtype in (torch.float16, torch.bfloat16):
        x = x.to(weight.dtype)
    return weight * x


def t5_relative_position_bucket(relative_position, bidirectional, num_buckets, max_distance):
    buckets = 0
    if bidirectional:
        num_buckets //= 2
        buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    if_large = max_exact + (
        torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    if_large = torch.min(if_large, torch.full_like(if_large, num_buckets - 1))
    buckets += torch.where(is_small, relative_position, if_large)
    return buckets


def t5_compute_bias(table, q_len, k_len, bidirectional, c):
    context = torch.arange(q_len, dtype=torch.long)[:, None]
    memory = torch.arange(k_len, dtype=torch.long)[None, :]
    bucket = t5_relative_position_bucket(memory - context, bidirectional, c["relative_attention_num_buckets"],
                                         c["relative_attention_max_distance"])
    values = F.embedding(bucket, table)  # [q, k, heads]
    return values.permute([2, 0, 1]).unsqueeze(0)  # [1, heads, q, k]


def t5_attention(c, w, p, x, kv, bias):
    """T5Attention without scaling of the scores; `bias` = relative position bias + additive mask."""
    B, Tq, _ = x.shape
    Tk = kv.shape[1]
    nh, dk = c["num_heads"], c["d_kv"]
    q = linear(x, w(p + "q.weight")).view(B, Tq, nh, dk).transpose(1, 2)
    k = linear(kv, w(p + "k.weight")).view(B, Tk, nh, dk).transpose(1, 2)
    v = linear(kv, w(p + "v.weight")).view(B, Tk, nh, dk).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(3, 2))
    scores = scores + bias
    probs = softmax_in_float32(scores)
    ctx = torch.matmul(probs, v).transpose(1, 2).contiguous().view(B, Tq, nh * dk)
    return linear(ctx, w(p + "o.weight"))


def t5_ff(c, w, p, x):
    h = t5_layer_norm(x, w(p + "layer_norm.weight"), c["layer_norm_epsilon"])
    f = act(c["dense_act_fn"])
    if c["is_gated_act"]:
        h = f(linear(h, w(p + "DenseReluDense.wi_0.weight"))) * linear(h, w(p + "DenseReluDense.wi_1.weight"))
    else:
        h = f(linear(h, w(p + "DenseReluDense.wi.weight")))
    # T5DenseActDense / T5DenseGatedActDense cast the activations to wo's dtype before wo. That is a no-op here:
    # from_pretrained keeps T5's _keep_in_fp32_modules (["wo"]) in float32 only for float16 (4.47), so in a
    # bfloat16 model wo is bfloat16 like the activations.
    return x + linear(h, w(p + "DenseReluDense.wo.weight"))


def t5_stack(c, w, stack, ids, shared, attention_mask, enc_out=None, enc_mask=None):
    B, T = ids.shape
    decoder = stack == "decoder"
    eps = c["layer_norm_epsilon"]
    x = F.embedding(ids, shared)
    dtype = x.dtype
    min_dtype = torch.finfo(dtype).min
    if decoder:
        self_mask = causal_mask(attention_mask, B, T, dtype, min_dtype, None)
    else:
        am = attention_mask if attention_mask is not None else torch.ones(B, T, dtype=torch.long)
        self_mask = extended_mask(am, dtype)
    table = w(f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
    # computed by block 0 and handed on to the later blocks, mask included
    self_bias = t5_compute_bias(table, T, T, not decoder, c) + self_mask
    if decoder:
        em = enc_mask if enc_mask is not None else torch.ones(B, enc_out.shape[1], dtype=torch.long)
        cross_bias = torch.zeros(1, c["num_heads"], T, enc_out.shape[1], dtype=dtype) + extended_mask(em, dtype)
    n = c["num_decoder_layers"] if decoder else c["num_layers"]
    for i in range(n):
        p = f"{stack}.block.{i}.layer."
        h = t5_layer_norm(x, w(p + "0.layer_norm.weight"), eps)
        x = x + t5_attention(c, w, p + "0.SelfAttention.", h, h, self_bias)
        if decoder:
            h = t5_layer_norm(x, w(p + "1.layer_norm.weight"), eps)
            x = x + t5_attention(c, w, p + "1.EncDecAttention.", h, enc_out, cross_bias)
            x = t5_ff(c, w, p + "2.", x)
        else:
            x = t5_ff(c, w, p + "1.", x)
    return t5_layer_norm(x, w(f"{stack}.final_layer_norm.weight"), eps)


def t5_forward(c, params, arch, input_ids, attention_mask, labels, decoder_input_ids):
    c = t5_resolve(c)
    w = Weights(params, "")
    shared = params["shared.weight"]
    if decoder_input_ids is None:
        if labels is None:
            raise ValueError("T5 needs decoder_input_ids or labels")
        # _shift_right with decoder_start_token_id (= pad) in front
        start = c.get("decoder_start_token_id", c["pad_token_id"])
        decoder_input_ids = torch.cat([torch.full_like(labels[:, :1], start), labels[:, :-1]], dim=1)
        decoder_input_ids = decoder_input_ids.masked_fill(decoder_input_ids == -100, c["pad_token_id"])
    enc = t5_stack(c, w, "encoder", input_ids, shared, attention_mask)
    dec = t5_stack(c, w, "decoder", decoder_input_ids, shared, None, enc_out=enc, enc_mask=attention_mask)
    out = {"encoder_last_hidden_state": enc}
    if arch == "T5Model":
        out["last_hidden_state"] = dec
        return out
    if c["tie_word_embeddings"]:
        dec = dec * (c["d_model"] ** -0.5)
        head = shared
    else:
        head = params["lm_head.weight"]
    return with_lm_head(out, linear(dec, head), labels, cross_entropy)


