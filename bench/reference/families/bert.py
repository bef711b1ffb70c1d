"""BERT (BertModel, BertForMaskedLM; modeling_bert.py): the post-LN encoder that RoBERTa reuses, the pooler and
the masked-LM head."""
import math

import torch
import torch.nn.functional as F

from .common import Weights, act, cross_entropy, embedding, extended_mask, linear, with_lm_head

BERT_DEFAULTS = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                     intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1,
                     attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
                     initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
                     position_embedding_type="absolute", use_cache=True, classifier_dropout=None,
                     tie_word_embeddings=True)


def bert_position_ids(input_ids):
    B, T = input_ids.shape
    return torch.arange(T).unsqueeze(0).expand(B, T)


def bert_encoder(c, w, input_ids, attention_mask, position_ids, position_padding_idx=None):
    """BertEmbeddings + BertEncoder: [B, T] ids -> [B, T, hidden]. RoBERTa passes its own position ids and the
    padding index of its position embedding."""
    B, T = input_ids.shape
    H, nh = c["hidden_size"], c["num_attention_heads"]
    hd = H // nh
    eps = c["layer_norm_eps"]
    if c.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only position_embedding_type 'absolute' is implemented")
    pad = c["pad_token_id"]
    pos_emb = embedding(position_ids, w("embeddings.position_embeddings.weight"), padding_idx=position_padding_idx)
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


def with_pooler(out, w):
    """The base model's outputs, with pooler_output when the checkpoint has a pooler (add_pooling_layer=True:
    first token -> dense -> tanh)."""
    x = out["last_hidden_state"]
    if w.has("pooler.dense.weight"):
        out["pooler_output"] = torch.tanh(linear(x[:, 0], w("pooler.dense.weight"), w("pooler.dense.bias")))
    return out


def bert_forward(c, params, arch, input_ids, attention_mask, labels):
    c = dict(BERT_DEFAULTS, **c)
    w = Weights(params, "bert.")
    x = bert_encoder(c, w, input_ids, attention_mask, bert_position_ids(input_ids))
    out = {"last_hidden_state": x}
    if arch == "BertModel":
        return with_pooler(out, w)
    H, eps = c["hidden_size"], c["layer_norm_eps"]
    # BertLMPredictionHead: transform (dense -> hidden_act -> LayerNorm) -> decoder + bias
    h = linear(x, w.head("cls.predictions.transform.dense.weight"), w.head("cls.predictions.transform.dense.bias"))
    h = act(c["hidden_act"])(h)
    h = F.layer_norm(h, (H,), w.head("cls.predictions.transform.LayerNorm.weight"),
                     w.head("cls.predictions.transform.LayerNorm.bias"), eps)
    word = w("embeddings.word_embeddings.weight")
    dec = word if c["tie_word_embeddings"] else w.head("cls.predictions.decoder.weight")
    bias = (w.head("cls.predictions.bias") if w.has_head("cls.predictions.bias")
            else w.head("cls.predictions.decoder.bias"))
    return with_lm_head(out, linear(h, dec, bias), labels, cross_entropy)
