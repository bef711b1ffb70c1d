"""Pieces every family shares: activations (transformers.activations.ACT2FN), parameter lookup, the attention
masks, the LM losses."""
import math

import torch
import torch.nn.functional as F


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


def causal_mask(attention_mask, B, T, dtype, min_dtype, sliding_window):
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


def softmax_in_float32(scores):
    """Attention probabilities over the last dim, computed in float32 and cast back to the scores' dtype: the
    upcast of LlamaAttention.forward (softmax(..., dtype=torch.float32).to(query_states.dtype)) and of
    T5Attention.forward (softmax(scores.float()).type_as(scores)); the identity on float32."""
    return F.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)


def cross_entropy(logits, labels):
    """nn.CrossEntropyLoss (mean, ignore_index -100) in the logits' dtype: BertForMaskedLM, RobertaForMaskedLM,
    DistilBertForMaskedLM and T5ForConditionalGeneration.forward (4.47) call it on the head's output without an
    upcast, so a bfloat16 model's loss is computed in bfloat16."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def causal_lm_loss(logits, labels):
    """loss_utils.ForCausalLMLoss (4.47): logits.float() first, then shift by one, mean CE, ignore_index -100."""
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

