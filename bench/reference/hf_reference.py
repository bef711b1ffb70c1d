#!/usr/bin/env python3
"""An independent re-statement, in plain PyTorch (1.13), of the eager float32 forward of Hugging Face
transformers (4.47) for the model classes tfbench reproduces, plus a minimal safetensors reader/writer.

transformers is not installable on the development machine, so this file is the stand-in "HF" that
bench/reference/make_variants.py uses to compute expected outputs. bench/reference/parity_check.py proves it
against fixtures that real transformers 4.47.1 computed (../shared/fixtures/parity).

Run with a python3 that imports torch (Debian: /usr/bin/python3 + python3-torch).

Entry point:

    out = forward(config, params, input_ids, attention_mask=None, labels=None, decoder_input_ids=None,
                  architecture=None)

`config` is the config.json dict, `params` a dict HF-parameter-name -> float32 tensor (leaf tensors with
requires_grad set when gradients are wanted; tied weights may be absent, as on the hub). Returns a dict
with whichever of last_hidden_state, pooler_output, encoder_last_hidden_state, logits, loss the
architecture produces. Everything is eval mode: dropout is the identity.

Classes: BertModel, BertForMaskedLM, RobertaModel, RobertaForMaskedLM, DistilBertModel,
DistilBertForMaskedLM, GPT2Model, GPT2LMHeadModel, LlamaModel, LlamaForCausalLM, MistralModel,
MistralForCausalLM, Qwen2Model, Qwen2ForCausalLM, T5Model, T5ForConditionalGeneration.
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------------------
# safetensors
# ----------------------------------------------------------------------------------------------------------

_NP = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
       "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODE = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64",
         torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
         torch.bfloat16: "BF16"}


def read_safetensors(path):
    """Returns ({name: tensor}, metadata dict). BF16 comes back as torch.bfloat16."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    meta = header.pop("__metadata__", None) or {}
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        raw = blob[base + start:base + end]
        shape = info["shape"]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.dtype(_NP[info["dtype"]]).newbyteorder("<")).copy())
        out[name] = t.reshape(shape)
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (names sorted, data contiguous little-endian, header padded to 8 bytes)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        code = _CODE[t.dtype]
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


# ----------------------------------------------------------------------------------------------------------
# activations (transformers.activations.ACT2FN)
# ----------------------------------------------------------------------------------------------------------

def _gelu_new(x):  # NewGELUActivation: tanh approximation as in GPT-2 / BERT-TF
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def _gelu_fast(x):
    return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


def _gelu_accurate(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


ACT2FN = {
    "gelu": F.gelu,  # exact (erf)
    "gelu_python": lambda x: x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0))),
    "gelu_new": _gelu_new,
    "gelu_fast": _gelu_fast,
    "gelu_accurate": _gelu_accurate,
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_10": lambda x: torch.clip(F.gelu(x), -10.0, 10.0),
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "relu": F.relu,
    "relu2": lambda x: torch.square(F.relu(x)),
    "relu6": F.relu6,
    "leaky_relu": F.leaky_relu,
    "silu": F.silu,
    "swish": F.silu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "mish": F.mish,
    "linear": lambda x: x,
    "laplace": lambda x: 0.5 * (1.0 + torch.erf((x - 0.707107).div(0.282095 * math.sqrt(2.0)))),
}


def act(name):
    if name not in ACT2FN:
        raise ValueError(f"activation {name!r} not implemented")
    return ACT2FN[name]


# ----------------------------------------------------------------------------------------------------------
# shared pieces
# ----------------------------------------------------------------------------------------------------------

class Weights:
    """Name lookup with a base-model prefix ('bert.', 'transformer.', 'model.', ...) that may be absent,
    as when a base-model class is loaded from its own checkpoint."""

    def __init__(self, params, prefix):
        self.params = params
        self.prefix = prefix if any(k.startswith(prefix) for k in params) else ""

    def __call__(self, name):  # base-model parameter
        return self.params[self.prefix + name]

    def head(self, name):  # head parameter (no prefix)
        return self.params[name]

    def has(self, name):
        return (self.prefix + name) in self.params

    def has_head(self, name):
        return name in self.params


def linear(x, w, b=None):
    return F.linear(x, w, b)


def embedding(ids, w, padding_idx=None):
    """nn.Embedding: rows at padding_idx get no gradient from the lookup."""
    if padding_idx is not None and padding_idx < 0:
        padding_idx += w.shape[0]
    return F.embedding(ids, w, padding_idx=padding_idx)


def extended_mask(attention_mask, dtype=torch.float32):
    """PreTrainedModel.get_extended_attention_mask for an encoder: [B, T] -> [B, 1, 1, T] additive."""
    m = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


def causal_mask_4d(attention_mask, B, T, dtype=torch.float32):
    """LlamaModel._update_causal_mask (eager, no cache), optionally with a sliding window:
    0 where attended, finfo.min where not. Returns [B, 1, T, T]."""
    min_dtype = torch.finfo(dtype).min
    return _causal_mask(attention_mask, B, T, dtype, min_dtype, None)


def _causal_mask(attention_mask, B, T, dtype, min_dtype, sliding_window):
    """_prepare_4d_causal_attention_mask_with_cache_position (4.47, no cache / DynamicCache). With a sliding window
    (MistralModel's version) a key is also masked when arange(target_length) <= cache_position - sliding_window,
    i.e. key_pos <= query_pos - sliding_window: each query sees itself and the sliding_window - 1 keys before it.
    HF builds T + 1 key columns when no 2D mask is given; the extra one is always masked and is sliced off in
    the attention, so [.., T, T] is the same mask."""
    cache_position = torch.arange(T)
    mask = torch.full((T, T), min_dtype, dtype=dtype)
    masked = torch.arange(T) > cache_position.reshape(-1, 1)  # future positions
    if sliding_window is not None:
        masked = masked | (torch.arange(T) <= (cache_position.reshape(-1, 1) - sliding_window))
    mask = mask * masked
    mask = mask[None, None, :, :].expand(B, 1, -1, -1).clone()
    if attention_mask is not None:
        padding = (mask + attention_mask[:, None, None, :].to(dtype)) == 0
        mask = mask.masked_fill(padding, min_dtype)
    return mask


def cross_entropy(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100)


def causal_lm_loss(logits, labels):
    """ForCausalLMLoss: shift by one, mean CE in float32, ignore_index -100."""
    shift_logits = logits[..., :-1, :].contiguous().float()
    shift_labels = labels[..., 1:].contiguous()
    return cross_entropy(shift_logits, shift_labels)


def with_lm_head(out, logits, labels, loss):
    """Adds the LM head's logits to the outputs, and with labels its loss: `cross_entropy` for masked-LM and
    T5 heads, `causal_lm_loss` (shifted) for causal-LM heads."""
    out["logits"] = logits
    if labels is not None:
        out["loss"] = loss(logits, labels)
    return out


# ----------------------------------------------------------------------------------------------------------
# BERT / RoBERTa
# ----------------------------------------------------------------------------------------------------------

BERT_DEFAULTS = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                     intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1,
                     attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
                     initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
                     position_embedding_type="absolute", use_cache=True, classifier_dropout=None,
                     tie_word_embeddings=True)
ROBERTA_DEFAULTS = dict(BERT_DEFAULTS, pad_token_id=1, bos_token_id=0, eos_token_id=2)


def roberta_position_ids(input_ids, padding_idx):
    """create_position_ids_from_input_ids: non-pad tokens count from padding_idx + 1, pads get padding_idx."""
    mask = input_ids.ne(padding_idx).int()
    incremental = torch.cumsum(mask, dim=1).type_as(mask) * mask
    return incremental.long() + padding_idx


def bert_encoder(c, w, input_ids, attention_mask, roberta):
    B, T = input_ids.shape
    H, nh = c["hidden_size"], c["num_attention_heads"]
    hd = H // nh
    eps = c["layer_norm_eps"]
    if c.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only position_embedding_type 'absolute' is implemented")
    pad = c["pad_token_id"]
    if roberta:
        pos = roberta_position_ids(input_ids, pad)
        pos_emb = embedding(pos, w("embeddings.position_embeddings.weight"), padding_idx=pad)
    else:
        pos = torch.arange(T).unsqueeze(0).expand(B, T)
        pos_emb = embedding(pos, w("embeddings.position_embeddings.weight"))
    token_type = torch.zeros_like(input_ids)
    x = (embedding(input_ids, w("embeddings.word_embeddings.weight"), padding_idx=pad)
         + embedding(token_type, w("embeddings.token_type_embeddings.weight"))
         + pos_emb)
    x = F.layer_norm(x, (H,), w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
    if attention_mask is None:
        attention_mask = torch.ones(B, T, dtype=torch.long)
    ext = extended_mask(attention_mask, x.dtype)
    f = act(c["hidden_act"])

    def heads(t):
        return t.view(B, T, nh, hd).permute(0, 2, 1, 3)

    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = heads(linear(x, w(p + "attention.self.query.weight"), w(p + "attention.self.query.bias")))
        k = heads(linear(x, w(p + "attention.self.key.weight"), w(p + "attention.self.key.bias")))
        v = heads(linear(x, w(p + "attention.self.value.weight"), w(p + "attention.self.value.bias")))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + ext
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(B, T, H)
        a = linear(ctx, w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias"))
        x = F.layer_norm(a + x, (H,), w(p + "attention.output.LayerNorm.weight"),
                         w(p + "attention.output.LayerNorm.bias"), eps)
        h = f(linear(x, w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias")))
        h = linear(h, w(p + "output.dense.weight"), w(p + "output.dense.bias"))
        x = F.layer_norm(h + x, (H,), w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), eps)
    return x


def bert_forward(c, params, arch, input_ids, attention_mask, labels, roberta):
    c = dict(ROBERTA_DEFAULTS if roberta else BERT_DEFAULTS, **c)
    w = Weights(params, "roberta." if roberta else "bert.")
    x = bert_encoder(c, w, input_ids, attention_mask, roberta)
    out = {"last_hidden_state": x}
    H, eps = c["hidden_size"], c["layer_norm_eps"]
    if arch in ("BertModel", "RobertaModel"):
        if w.has("pooler.dense.weight"):  # add_pooling_layer=True: first token -> dense -> tanh
            out["pooler_output"] = torch.tanh(linear(x[:, 0], w("pooler.dense.weight"), w("pooler.dense.bias")))
        return out
    word = w("embeddings.word_embeddings.weight")
    if roberta:  # RobertaLMHead: dense -> exact gelu (not hidden_act) -> LayerNorm -> decoder + bias
        h = linear(x, w.head("lm_head.dense.weight"), w.head("lm_head.dense.bias"))
        h = F.gelu(h)
        h = F.layer_norm(h, (H,), w.head("lm_head.layer_norm.weight"), w.head("lm_head.layer_norm.bias"), eps)
        dec = word if c["tie_word_embeddings"] else w.head("lm_head.decoder.weight")
        bias = w.head("lm_head.bias") if w.has_head("lm_head.bias") else w.head("lm_head.decoder.bias")
    else:  # BertLMPredictionHead: transform (dense -> hidden_act -> LayerNorm) -> decoder + bias
        h = linear(x, w.head("cls.predictions.transform.dense.weight"), w.head("cls.predictions.transform.dense.bias"))
        h = act(c["hidden_act"])(h)
        h = F.layer_norm(h, (H,), w.head("cls.predictions.transform.LayerNorm.weight"),
                         w.head("cls.predictions.transform.LayerNorm.bias"), eps)
        dec = word if c["tie_word_embeddings"] else w.head("cls.predictions.decoder.weight")
        bias = (w.head("cls.predictions.bias") if w.has_head("cls.predictions.bias")
                else w.head("cls.predictions.decoder.bias"))
    return with_lm_head(out, linear(h, dec, bias), labels, cross_entropy)


# ----------------------------------------------------------------------------------------------------------
# DistilBERT
# ----------------------------------------------------------------------------------------------------------

DISTILBERT_DEFAULTS = dict(vocab_size=30522, max_position_embeddings=512, sinusoidal_pos_embds=False, n_layers=6,
                           n_heads=12, dim=768, hidden_dim=4 * 768, dropout=0.1, attention_dropout=0.1,
                           activation="gelu", initializer_range=0.02, qa_dropout=0.1, seq_classif_dropout=0.2,
                           pad_token_id=0, tie_word_embeddings=True)


def sinusoidal_table(n_pos, dim):
    pe = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.zeros(n_pos, dim)
    out[:, 0::2] = torch.FloatTensor(np.sin(pe[:, 0::2]))
    out[:, 1::2] = torch.FloatTensor(np.cos(pe[:, 1::2]))
    return out


def distilbert_forward(c, params, arch, input_ids, attention_mask, labels):
    c = dict(DISTILBERT_DEFAULTS, **c)
    w = Weights(params, "distilbert.")
    B, T = input_ids.shape
    D, nh = c["dim"], c["n_heads"]
    hd = D // nh
    eps = 1e-12  # hard-coded in DistilBERT (embeddings, sa/output layer norms, vocab_layer_norm)
    f = act(c["activation"])
    if w.has("embeddings.position_embeddings.weight"):
        pos_table = w("embeddings.position_embeddings.weight")
    else:
        pos_table = sinusoidal_table(c["max_position_embeddings"], D)
    pos = torch.arange(T).unsqueeze(0)
    x = (embedding(input_ids, w("embeddings.word_embeddings.weight"), padding_idx=c["pad_token_id"])
         + embedding(pos, pos_table))
    x = F.layer_norm(x, (D,), w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
    if attention_mask is None:
        attention_mask = torch.ones(B, T, dtype=torch.long)
    masked = (attention_mask == 0).view(B, 1, 1, T)

    def heads(t):
        return t.view(B, T, nh, hd).transpose(1, 2)

    for i in range(c["n_layers"]):
        p = f"transformer.layer.{i}."
        q = heads(linear(x, w(p + "attention.q_lin.weight"), w(p + "attention.q_lin.bias")))
        k = heads(linear(x, w(p + "attention.k_lin.weight"), w(p + "attention.k_lin.bias")))
        v = heads(linear(x, w(p + "attention.v_lin.weight"), w(p + "attention.v_lin.bias")))
        q = q / math.sqrt(hd)
        scores = torch.matmul(q, k.transpose(2, 3))
        scores = scores.masked_fill(masked.expand_as(scores), torch.tensor(torch.finfo(scores.dtype).min))
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).contiguous().view(B, T, D)
        sa = linear(ctx, w(p + "attention.out_lin.weight"), w(p + "attention.out_lin.bias"))
        x = F.layer_norm(sa + x, (D,), w(p + "sa_layer_norm.weight"), w(p + "sa_layer_norm.bias"), eps)
        h = f(linear(x, w(p + "ffn.lin1.weight"), w(p + "ffn.lin1.bias")))
        h = linear(h, w(p + "ffn.lin2.weight"), w(p + "ffn.lin2.bias"))
        x = F.layer_norm(h + x, (D,), w(p + "output_layer_norm.weight"), w(p + "output_layer_norm.bias"), eps)
    out = {"last_hidden_state": x}
    if arch == "DistilBertModel":
        return out
    h = f(linear(x, w.head("vocab_transform.weight"), w.head("vocab_transform.bias")))
    h = F.layer_norm(h, (D,), w.head("vocab_layer_norm.weight"), w.head("vocab_layer_norm.bias"), eps)
    dec = w("embeddings.word_embeddings.weight") if c["tie_word_embeddings"] else w.head("vocab_projector.weight")
    return with_lm_head(out, linear(h, dec, w.head("vocab_projector.bias")), labels, cross_entropy)


# ----------------------------------------------------------------------------------------------------------
# GPT-2
# ----------------------------------------------------------------------------------------------------------

GPT2_DEFAULTS = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None,
                     activation_function="gelu_new", resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1,
                     layer_norm_epsilon=1e-5, initializer_range=0.02, summary_type="cls_index",
                     summary_use_proj=True, summary_activation=None, summary_proj_to_labels=True,
                     summary_first_dropout=0.1, scale_attn_weights=True, use_cache=True, bos_token_id=50256,
                     eos_token_id=50256, scale_attn_by_inverse_layer_idx=False, reorder_and_upcast_attn=False,
                     tie_word_embeddings=True)


def conv1d(x, w, b):
    """transformers.pytorch_utils.Conv1D: weight is [in, out]; y = b + x @ w."""
    size_out = x.shape[:-1] + (w.shape[-1],)
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).view(size_out)


def gpt2_forward(c, params, arch, input_ids, attention_mask, labels):
    c = dict(GPT2_DEFAULTS, **c)
    w = Weights(params, "transformer.")
    B, T = input_ids.shape
    D, nh = c["n_embd"], c["n_head"]
    hd = D // nh
    eps = c["layer_norm_epsilon"]
    f = act(c["activation_function"])
    pos = torch.arange(T).unsqueeze(0)
    x = embedding(input_ids, w("wte.weight")) + embedding(pos, w("wpe.weight"))
    dtype = x.dtype
    add_mask = None
    if attention_mask is not None:  # 2D padding mask -> [B, 1, 1, T] additive
        add_mask = (1.0 - attention_mask.view(B, -1)[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T)

    def heads(t):
        return t.view(B, T, nh, hd).permute(0, 2, 1, 3)

    for i in range(c["n_layer"]):
        p = f"h.{i}."
        h = F.layer_norm(x, (D,), w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps)
        qkv = conv1d(h, w(p + "attn.c_attn.weight"), w(p + "attn.c_attn.bias"))
        q, k, v = (heads(t) for t in qkv.split(D, dim=2))
        if c["reorder_and_upcast_attn"]:
            # _upcast_and_reordered_attn: the scale goes into baddbmm's alpha, scores in float32
            scale = 1.0
            if c["scale_attn_weights"]:
                scale /= float(v.size(-1)) ** 0.5
            if c["scale_attn_by_inverse_layer_idx"]:
                scale /= float(i + 1)
            qf, kf = q.reshape(-1, T, hd).float(), k.transpose(-1, -2).reshape(-1, hd, T).float()
            scores = torch.baddbmm(torch.empty(B * nh, T, T), qf, kf, beta=0, alpha=scale).reshape(B, nh, T, T)
        else:
            scores = torch.matmul(q, k.transpose(-1, -2))
            if c["scale_attn_weights"]:
                scores = scores / torch.full([], v.size(-1) ** 0.5, dtype=scores.dtype)
            if c["scale_attn_by_inverse_layer_idx"]:
                scores = scores / float(i + 1)
        scores = torch.where(causal, scores, torch.full([], torch.finfo(scores.dtype).min, dtype=scores.dtype))
        if add_mask is not None:
            scores = scores + add_mask
        probs = F.softmax(scores, dim=-1).type(v.dtype)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(B, T, D)
        x = x + conv1d(ctx, w(p + "attn.c_proj.weight"), w(p + "attn.c_proj.bias"))
        h = F.layer_norm(x, (D,), w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps)
        h = f(conv1d(h, w(p + "mlp.c_fc.weight"), w(p + "mlp.c_fc.bias")))
        x = x + conv1d(h, w(p + "mlp.c_proj.weight"), w(p + "mlp.c_proj.bias"))
    x = F.layer_norm(x, (D,), w("ln_f.weight"), w("ln_f.bias"), eps)
    out = {"last_hidden_state": x}
    if arch == "GPT2Model":
        return out
    head = w("wte.weight") if c["tie_word_embeddings"] else w.head("lm_head.weight")
    return with_lm_head(out, linear(x, head), labels, causal_lm_loss)


# ----------------------------------------------------------------------------------------------------------
# Llama / Mistral / Qwen2
# ----------------------------------------------------------------------------------------------------------

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
    """LlamaRMSNorm / MistralRMSNorm / Qwen2RMSNorm: statistics in float32, weight applied after the cast back."""
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
    """ROPE_INIT_FUNCTIONS[rope_type] + LlamaRotaryEmbedding.forward (attention_scaling 1.0)."""
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
    mask = _causal_mask(attention_mask, B, T, x.dtype, torch.finfo(x.dtype).min, sliding)

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
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
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


# ----------------------------------------------------------------------------------------------------------
# T5
# ----------------------------------------------------------------------------------------------------------

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
    """T5LayerNorm: RMS over the last dim computed in float32, no mean subtraction, no bias."""
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
    probs = F.softmax(scores.float(), dim=-1).type_as(scores)
    ctx = torch.matmul(probs, v).transpose(1, 2).contiguous().view(B, Tq, nh * dk)
    return linear(ctx, w(p + "o.weight"))


def t5_ff(c, w, p, x):
    h = t5_layer_norm(x, w(p + "layer_norm.weight"), c["layer_norm_epsilon"])
    f = act(c["dense_act_fn"])
    if c["is_gated_act"]:
        h = f(linear(h, w(p + "DenseReluDense.wi_0.weight"))) * linear(h, w(p + "DenseReluDense.wi_1.weight"))
    else:
        h = f(linear(h, w(p + "DenseReluDense.wi.weight")))
    return x + linear(h, w(p + "DenseReluDense.wo.weight"))


def t5_stack(c, w, stack, ids, shared, attention_mask, enc_out=None, enc_mask=None):
    B, T = ids.shape
    decoder = stack == "decoder"
    eps = c["layer_norm_epsilon"]
    x = F.embedding(ids, shared)
    dtype = x.dtype
    min_dtype = torch.finfo(dtype).min
    if decoder:
        self_mask = _causal_mask(attention_mask, B, T, dtype, min_dtype, None)
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


# ----------------------------------------------------------------------------------------------------------
# dispatch
# ----------------------------------------------------------------------------------------------------------

ARCHITECTURES = {
    "BertModel", "BertForMaskedLM", "RobertaModel", "RobertaForMaskedLM", "DistilBertModel",
    "DistilBertForMaskedLM", "GPT2Model", "GPT2LMHeadModel", "LlamaModel", "LlamaForCausalLM", "MistralModel",
    "MistralForCausalLM", "Qwen2Model", "Qwen2ForCausalLM", "T5Model", "T5ForConditionalGeneration",
}


def forward(config, params, input_ids, attention_mask=None, labels=None, decoder_input_ids=None, architecture=None):
    arch = architecture or config["architectures"][0]
    if arch not in ARCHITECTURES:
        raise ValueError(f"architecture {arch!r} not implemented")
    if arch.startswith("Bert"):
        return bert_forward(config, params, arch, input_ids, attention_mask, labels, roberta=False)
    if arch.startswith("Roberta"):
        return bert_forward(config, params, arch, input_ids, attention_mask, labels, roberta=True)
    if arch.startswith("DistilBert"):
        return distilbert_forward(config, params, arch, input_ids, attention_mask, labels)
    if arch.startswith("GPT2"):
        return gpt2_forward(config, params, arch, input_ids, attention_mask, labels)
    if arch.startswith("Llama"):
        return llama_like_forward(config, params, arch, input_ids, attention_mask, labels, "llama")
    if arch.startswith("Mistral"):
        return llama_like_forward(config, params, arch, input_ids, attention_mask, labels, "mistral")
    if arch.startswith("Qwen2"):
        return llama_like_forward(config, params, arch, input_ids, attention_mask, labels, "qwen2")
    return t5_forward(config, params, arch, input_ids, attention_mask, labels, decoder_input_ids)


KINDS = {"Bert": "encoder", "Roberta": "encoder", "DistilBert": "encoder", "GPT2": "decoder", "Llama": "decoder",
         "Mistral": "decoder", "Qwen2": "decoder", "T5": "seq2seq"}


def kind_of(architecture):
    for prefix, kind in KINDS.items():
        if architecture.startswith(prefix):
            return kind
    raise ValueError(architecture)


def compute_expected(config, params, input_ids, attention_mask, grad_names, architecture=None):
    """The tensors a fixture stores, computed the way the parity fixtures were:
    - encoder: last_hidden_state and logits with the attention mask (pooler_output for a base model);
    - decoder: last_hidden_state and logits without a mask;
    - seq2seq: encoder_last_hidden_state and logits with decoder_input_ids = input_ids;
    - loss: a second forward, no mask, labels = input_ids (T5: decoder_input_ids = input_ids too);
    - grad.<name>: after one backward of that loss.
    Base models (no head) get no loss and no gradients."""
    arch = architecture or config["architectures"][0]
    kind = kind_of(arch)
    params = {k: v.detach().float().requires_grad_(True) for k, v in params.items()}
    res = {}
    with torch.no_grad():
        if kind == "encoder":
            out = forward(config, params, input_ids, attention_mask=attention_mask, architecture=arch)
        elif kind == "decoder":
            out = forward(config, params, input_ids, architecture=arch)
        else:
            out = forward(config, params, input_ids, decoder_input_ids=input_ids, architecture=arch)
    for key in ("last_hidden_state", "pooler_output", "encoder_last_hidden_state", "logits"):
        if key in out:
            res[key] = out[key].detach().clone()
    if "logits" in out:  # has a head: loss and gradients
        kw = {"decoder_input_ids": input_ids} if kind == "seq2seq" else {}
        out = forward(config, params, input_ids, labels=input_ids, architecture=arch, **kw)
        out["loss"].backward()
        res["loss"] = out["loss"].detach().clone().reshape(())
        for name in grad_names:
            g = params[name].grad
            res["grad." + name] = torch.zeros_like(params[name]) if g is None else g.detach().clone()
    return res
