"""RoBERTa (RobertaModel, RobertaForMaskedLM; modeling_roberta.py): BERT's encoder with position ids that count
past the padding id, and RobertaLMHead."""
import torch
import torch.nn.functional as F

from .bert import BERT_DEFAULTS, bert_encoder, with_pooler
from .common import Weights, cross_entropy, linear, with_lm_head

ROBERTA_DEFAULTS = dict(BERT_DEFAULTS, pad_token_id=1, bos_token_id=0, eos_token_id=2)


def roberta_position_ids(input_ids, padding_idx):
    """create_position_ids_from_input_ids: non-pad tokens count from padding_idx + 1, pads get padding_idx."""
    mask = input_ids.ne(padding_idx).int()
    incremental = torch.cumsum(mask, dim=1).type_as(mask) * mask
    return incremental.long() + padding_idx


def roberta_forward(c, params, arch, input_ids, attention_mask, labels):
    c = dict(ROBERTA_DEFAULTS, **c)
    w = Weights(params, "roberta.")
    pad = c["pad_token_id"]
    x = bert_encoder(c, w, input_ids, attention_mask, roberta_position_ids(input_ids, pad), position_padding_idx=pad)
    out = {"last_hidden_state": x}
    if arch == "RobertaModel":
        return with_pooler(out, w)
    H, eps = c["hidden_size"], c["layer_norm_eps"]
    # RobertaLMHead: dense -> exact gelu (not hidden_act) -> LayerNorm -> decoder + bias
    h = linear(x, w.head("lm_head.dense.weight"), w.head("lm_head.dense.bias"))
    h = F.gelu(h)
    h = F.layer_norm(h, (H,), w.head("lm_head.layer_norm.weight"), w.head("lm_head.layer_norm.bias"), eps)
    dec = w("embeddings.word_embeddings.weight") if c["tie_word_embeddings"] else w.head("lm_head.decoder.weight")
    bias = w.head("lm_head.bias") if w.has_head("lm_head.bias") else w.head("lm_head.decoder.bias")
    return with_lm_head(out, linear(h, dec, bias), labels, cross_entropy)
