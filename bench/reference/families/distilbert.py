"""DistilBERT (DistilBertModel, DistilBertForMaskedLM; modeling_distilbert.py)."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .common import Weights, act, cross_entropy, embedding, linear, with_lm_head

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


