#!/usr/bin/env python3
"""Generates tiny config-variant checkpoints and their expected outputs for tfbench's parity tests.

    /usr/bin/python3 bench/reference/make_variants.py [--out packages/core/test/fixtures/variants] [case ...]

Each case directory has the layout of ../shared/fixtures/parity/<case> (see that README):
config.json, model.safetensors (HF parameter names, tied weights stored once) and expected.safetensors
(input_ids, attention_mask for encoders, last_hidden_state / pooler_output / encoder_last_hidden_state,
logits, loss and three grad.* tensors, __metadata__), and for decoder and T5 cases (all but llama-rope-dynamic)
generate.safetensors, greedy decoding by full recomputation (generation.py). The expected tensors come from
bench/reference/hf_reference.py, an independent re-statement of transformers' eager float32 math that
bench/reference/parity_check.py validates against fixtures real transformers 4.47.1 computed.

Everything is seeded, so a re-run reproduces the files (same torch build). Weights are drawn with a larger
spread than HF's initialisation (matrices N(0, 0.2), embeddings N(0, 0.25), norm weights 1 + N(0, 0.2),
biases N(0, 0.1), T5 relative attention biases N(0, 0.5)) so that every parameter moves the outputs.
Encoder inputs carry the pad token at the masked positions (row 1 from position 5), as a tokenizer would
emit them.
"""
import argparse
import json
import os
import sys
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generation  # noqa: E402
import hf_reference as ref  # noqa: E402
from families.llama import llama_like_shape  # noqa: E402
from families.t5 import t5_resolve  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "packages", "core", "test", "fixtures", "variants")
GENERATOR = "bench/reference/make_variants.py"
VOCAB, BATCH, SEQ, PAD_FROM = 99, 2, 7, 5
NOTE = ("eval mode (no dropout); loss uses labels=input_ids; grad.* after one backward of that loss; "
        "expected tensors from bench/reference/hf_reference.py (validated against transformers 4.47.1 "
        "by bench/reference/parity_check.py)")

# ----------------------------------------------------------------------------------------------------------
# parameter lists (HF names, shapes, init role) per family
# ----------------------------------------------------------------------------------------------------------


def bert_params(c, prefix, roberta=False, head=True, pooler=False):
    H, I, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    p = {
        prefix + "embeddings.word_embeddings.weight": ((c["vocab_size"], H), "emb"),
        prefix + "embeddings.position_embeddings.weight": ((c["max_position_embeddings"], H), "emb"),
        prefix + "embeddings.token_type_embeddings.weight": ((c["type_vocab_size"], H), "emb"),
        prefix + "embeddings.LayerNorm.weight": ((H,), "norm"),
        prefix + "embeddings.LayerNorm.bias": ((H,), "bias"),
    }
    for i in range(L):
        q = f"{prefix}encoder.layer.{i}."
        for n in ("query", "key", "value"):
            p[q + f"attention.self.{n}.weight"] = ((H, H), "mat")
            p[q + f"attention.self.{n}.bias"] = ((H,), "bias")
        p[q + "attention.output.dense.weight"] = ((H, H), "mat")
        p[q + "attention.output.dense.bias"] = ((H,), "bias")
        p[q + "attention.output.LayerNorm.weight"] = ((H,), "norm")
        p[q + "attention.output.LayerNorm.bias"] = ((H,), "bias")
        p[q + "intermediate.dense.weight"] = ((I, H), "mat")
        p[q + "intermediate.dense.bias"] = ((I,), "bias")
        p[q + "output.dense.weight"] = ((H, I), "mat")
        p[q + "output.dense.bias"] = ((H,), "bias")
        p[q + "output.LayerNorm.weight"] = ((H,), "norm")
        p[q + "output.LayerNorm.bias"] = ((H,), "bias")
    if pooler:
        p[prefix + "pooler.dense.weight"] = ((H, H), "mat")
        p[prefix + "pooler.dense.bias"] = ((H,), "bias")
    if head and roberta:
        p["lm_head.dense.weight"] = ((H, H), "mat")
        p["lm_head.dense.bias"] = ((H,), "bias")
        p["lm_head.layer_norm.weight"] = ((H,), "norm")
        p["lm_head.layer_norm.bias"] = ((H,), "bias")
        p["lm_head.bias"] = ((c["vocab_size"],), "bias")
    elif head:
        p["cls.predictions.transform.dense.weight"] = ((H, H), "mat")
        p["cls.predictions.transform.dense.bias"] = ((H,), "bias")
        p["cls.predictions.transform.LayerNorm.weight"] = ((H,), "norm")
        p["cls.predictions.transform.LayerNorm.bias"] = ((H,), "bias")
        p["cls.predictions.bias"] = ((c["vocab_size"],), "bias")
    return p


def distilbert_params(c):
    D, Hd, L = c["dim"], c["hidden_dim"], c["n_layers"]
    p = {
        "distilbert.embeddings.word_embeddings.weight": ((c["vocab_size"], D), "emb"),
        "distilbert.embeddings.position_embeddings.weight": ((c["max_position_embeddings"], D), "emb"),
        "distilbert.embeddings.LayerNorm.weight": ((D,), "norm"),
        "distilbert.embeddings.LayerNorm.bias": ((D,), "bias"),
    }
    for i in range(L):
        q = f"distilbert.transformer.layer.{i}."
        for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
            p[q + f"attention.{n}.weight"] = ((D, D), "mat")
            p[q + f"attention.{n}.bias"] = ((D,), "bias")
        p[q + "sa_layer_norm.weight"] = ((D,), "norm")
        p[q + "sa_layer_norm.bias"] = ((D,), "bias")
        p[q + "ffn.lin1.weight"] = ((Hd, D), "mat")
        p[q + "ffn.lin1.bias"] = ((Hd,), "bias")
        p[q + "ffn.lin2.weight"] = ((D, Hd), "mat")
        p[q + "ffn.lin2.bias"] = ((D,), "bias")
        p[q + "output_layer_norm.weight"] = ((D,), "norm")
        p[q + "output_layer_norm.bias"] = ((D,), "bias")
    p["vocab_transform.weight"] = ((D, D), "mat")
    p["vocab_transform.bias"] = ((D,), "bias")
    p["vocab_layer_norm.weight"] = ((D,), "norm")
    p["vocab_layer_norm.bias"] = ((D,), "bias")
    p["vocab_projector.bias"] = ((c["vocab_size"],), "bias")
    return p


def gpt2_params(c):
    D, L = c["n_embd"], c["n_layer"]
    inner = c["n_inner"] if c.get("n_inner") is not None else 4 * D
    p = {
        "transformer.wte.weight": ((c["vocab_size"], D), "emb"),
        "transformer.wpe.weight": ((c["n_positions"], D), "emb"),
        "transformer.ln_f.weight": ((D,), "norm"),
        "transformer.ln_f.bias": ((D,), "bias"),
    }
    for i in range(L):
        q = f"transformer.h.{i}."
        p[q + "ln_1.weight"] = ((D,), "norm")
        p[q + "ln_1.bias"] = ((D,), "bias")
        p[q + "attn.c_attn.weight"] = ((D, 3 * D), "mat")  # Conv1D: [in, out]
        p[q + "attn.c_attn.bias"] = ((3 * D,), "bias")
        p[q + "attn.c_proj.weight"] = ((D, D), "mat")
        p[q + "attn.c_proj.bias"] = ((D,), "bias")
        p[q + "ln_2.weight"] = ((D,), "norm")
        p[q + "ln_2.bias"] = ((D,), "bias")
        p[q + "mlp.c_fc.weight"] = ((D, inner), "mat")
        p[q + "mlp.c_fc.bias"] = ((inner,), "bias")
        p[q + "mlp.c_proj.weight"] = ((inner, D), "mat")
        p[q + "mlp.c_proj.bias"] = ((D,), "bias")
    if not c["tie_word_embeddings"]:
        p["lm_head.weight"] = ((c["vocab_size"], D), "mat")
    return p


def llama_params(c, family):
    c, nkv, hd, qkv_b, o_b, mlp_b = llama_like_shape(c, family)
    H, I, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    nh = c["num_attention_heads"]
    p = {"model.embed_tokens.weight": ((c["vocab_size"], H), "emb"), "model.norm.weight": ((H,), "norm")}
    for i in range(L):
        q = f"model.layers.{i}."
        p[q + "input_layernorm.weight"] = ((H,), "norm")
        p[q + "post_attention_layernorm.weight"] = ((H,), "norm")
        for n, out in (("q_proj", nh * hd), ("k_proj", nkv * hd), ("v_proj", nkv * hd)):
            p[q + f"self_attn.{n}.weight"] = ((out, H), "mat")
            if qkv_b:
                p[q + f"self_attn.{n}.bias"] = ((out,), "bias")
        p[q + "self_attn.o_proj.weight"] = ((H, nh * hd), "mat")
        if o_b:
            p[q + "self_attn.o_proj.bias"] = ((H,), "bias")
        for n, shape in (("gate_proj", (I, H)), ("up_proj", (I, H)), ("down_proj", (H, I))):
            p[q + f"mlp.{n}.weight"] = (shape, "mat")
            if mlp_b:
                p[q + f"mlp.{n}.bias"] = ((shape[0],), "bias")
    if not c["tie_word_embeddings"]:
        p["lm_head.weight"] = ((c["vocab_size"], H), "mat")
    return p


def t5_params(c):
    c = t5_resolve(c)
    D, F_, nh, dk = c["d_model"], c["d_ff"], c["num_heads"], c["d_kv"]
    inner = nh * dk
    p = {"shared.weight": ((c["vocab_size"], D), "emb")}

    def attn(q):
        for n in ("q", "k", "v"):
            p[q + f"{n}.weight"] = ((inner, D), "mat")
        p[q + "o.weight"] = ((D, inner), "mat")

    def ff(q):
        if c["is_gated_act"]:
            p[q + "DenseReluDense.wi_0.weight"] = ((F_, D), "mat")
            p[q + "DenseReluDense.wi_1.weight"] = ((F_, D), "mat")
        else:
            p[q + "DenseReluDense.wi.weight"] = ((F_, D), "mat")
        p[q + "DenseReluDense.wo.weight"] = ((D, F_), "mat")
        p[q + "layer_norm.weight"] = ((D,), "norm")

    for stack, n in (("encoder", c["num_layers"]), ("decoder", c["num_decoder_layers"])):
        for i in range(n):
            q = f"{stack}.block.{i}.layer."
            attn(q + "0.SelfAttention.")
            if i == 0:
                p[q + "0.SelfAttention.relative_attention_bias.weight"] = (
                    (c["relative_attention_num_buckets"], nh), "relbias")
            p[q + "0.layer_norm.weight"] = ((D,), "norm")
            if stack == "decoder":
                attn(q + "1.EncDecAttention.")
                p[q + "1.layer_norm.weight"] = ((D,), "norm")
                ff(q + "2.")
            else:
                ff(q + "1.")
        p[f"{stack}.final_layer_norm.weight"] = ((D,), "norm")
    if not c["tie_word_embeddings"]:
        p["lm_head.weight"] = ((c["vocab_size"], D), "mat")
    return p


# ----------------------------------------------------------------------------------------------------------
# the cases: config (the fields each family's config class reads), parameters, gradients to store
# ----------------------------------------------------------------------------------------------------------

def bert_config(arch, model_type="bert", **kw):
    c = dict(architectures=[arch], model_type=model_type, torch_dtype="float32", vocab_size=VOCAB, hidden_size=32,
             num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, hidden_act="gelu",
             hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=32,
             type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
             position_embedding_type="absolute", use_cache=True, classifier_dropout=None,
             tie_word_embeddings=True)
    if model_type == "roberta":
        c.update(pad_token_id=1, bos_token_id=0, eos_token_id=2)
    c.update(kw)
    return c


def distilbert_config(**kw):
    c = dict(architectures=["DistilBertForMaskedLM"], model_type="distilbert", torch_dtype="float32",
             vocab_size=VOCAB, max_position_embeddings=32, sinusoidal_pos_embds=False, n_layers=2, n_heads=4,
             dim=32, hidden_dim=37, dropout=0.1, attention_dropout=0.1, activation="gelu",
             initializer_range=0.02, qa_dropout=0.1, seq_classif_dropout=0.2, pad_token_id=0,
             tie_word_embeddings=True)
    c.update(kw)
    return c


def gpt2_config(**kw):
    c = dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", torch_dtype="float32", vocab_size=VOCAB,
             n_positions=32, n_embd=32, n_layer=2, n_head=4, n_inner=None, activation_function="gelu_new",
             resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1, layer_norm_epsilon=1e-5, initializer_range=0.02,
             summary_type="cls_index", summary_use_proj=True, summary_activation=None,
             summary_proj_to_labels=True, summary_first_dropout=0.1, scale_attn_weights=True, use_cache=True,
             bos_token_id=98, eos_token_id=98, scale_attn_by_inverse_layer_idx=False,
             reorder_and_upcast_attn=False, tie_word_embeddings=True)
    c.update(kw)
    return c


def llama_config(**kw):
    c = dict(architectures=["LlamaForCausalLM"], model_type="llama", torch_dtype="float32", vocab_size=VOCAB,
             hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, hidden_act="silu", max_position_embeddings=64, initializer_range=0.02,
             rms_norm_eps=1e-6, use_cache=True, pad_token_id=None, bos_token_id=1, eos_token_id=2,
             pretraining_tp=1, tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None,
             attention_bias=False, attention_dropout=0.0, mlp_bias=False, head_dim=8)
    c.update(kw)
    return c


def mistral_config(**kw):
    c = dict(architectures=["MistralForCausalLM"], model_type="mistral", torch_dtype="float32", vocab_size=VOCAB,
             hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=8,
             num_key_value_heads=2, head_dim=4, hidden_act="silu", max_position_embeddings=64,
             initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True, pad_token_id=None, bos_token_id=1,
             eos_token_id=2, tie_word_embeddings=False, rope_theta=10000.0, sliding_window=4096,
             attention_dropout=0.0)
    c.update(kw)
    return c


def qwen2_config(**kw):
    c = dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", torch_dtype="float32", vocab_size=VOCAB,
             hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, hidden_act="silu", max_position_embeddings=64, initializer_range=0.02,
             rms_norm_eps=1e-6, use_cache=True, tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None,
             use_sliding_window=False, sliding_window=4096, max_window_layers=28, attention_dropout=0.0)
    c.update(kw)
    return c


def t5_config(**kw):
    c = dict(architectures=["T5ForConditionalGeneration"], model_type="t5", torch_dtype="float32",
             vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_decoder_layers=2, num_heads=4,
             relative_attention_num_buckets=32, relative_attention_max_distance=128, dropout_rate=0.1,
             layer_norm_epsilon=1e-6, initializer_factor=1.0, feed_forward_proj="relu", is_encoder_decoder=True,
             use_cache=True, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, classifier_dropout=0.0,
             tie_word_embeddings=True)
    c.update(kw)
    # T5Config.__init__ stores the derived activation; save_pretrained writes both fields
    parts = c["feed_forward_proj"].split("-")
    c["dense_act_fn"] = "gelu_new" if c["feed_forward_proj"] == "gated-gelu" else parts[-1]
    c["is_gated_act"] = parts[0] == "gated"
    return c


def cases():
    out = {}

    c = bert_config("BertModel", hidden_act="relu", layer_norm_eps=1e-5, type_vocab_size=1)
    # small embeddings (as HF initialises them) keep the embedding LayerNorm's input variance small, so that
    # layer_norm_eps visibly moves the outputs
    out["bert-relu-eps-pooler"] = (c, bert_params(c, "", head=False, pooler=True), [], {"emb": 0.02})

    c = bert_config("BertForMaskedLM", hidden_act="gelu_new", layer_norm_eps=1e-6, hidden_size=48,
                    num_attention_heads=3, intermediate_size=40, max_position_embeddings=16)
    out["bert-mlm-gelu-new"] = (c, bert_params(c, "bert."), [
        "bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.intermediate.dense.bias",
        "cls.predictions.transform.dense.weight"], {"emb": 0.02})

    c = bert_config("RobertaForMaskedLM", model_type="roberta", hidden_act="gelu", max_position_embeddings=40,
                    type_vocab_size=1)
    out["roberta-pad-1"] = (c, bert_params(c, "roberta.", roberta=True), [
        "roberta.embeddings.position_embeddings.weight", "roberta.embeddings.word_embeddings.weight",
        "lm_head.dense.weight"])

    c = distilbert_config(activation="relu", n_layers=3, hidden_dim=24)
    out["distilbert-relu"] = (c, distilbert_params(c), [
        "distilbert.embeddings.position_embeddings.weight", "distilbert.transformer.layer.2.ffn.lin1.weight",
        "vocab_transform.bias"])

    c = gpt2_config(activation_function="relu", n_inner=40, scale_attn_by_inverse_layer_idx=True,
                    layer_norm_epsilon=1e-3, tie_word_embeddings=False)
    out["gpt2-untied-relu-scaled"] = (c, gpt2_params(c), [
        "lm_head.weight", "transformer.wte.weight", "transformer.h.1.attn.c_attn.weight"])

    c = gpt2_config(scale_attn_weights=False, activation_function="gelu", n_layer=3, n_inner=24)
    out["gpt2-unscaled-gelu"] = (c, gpt2_params(c), [
        "transformer.wpe.weight", "transformer.h.2.mlp.c_fc.bias", "transformer.h.0.attn.c_proj.weight"])

    c = llama_config(num_attention_heads=4, num_key_value_heads=1, rope_theta=500000.0, rms_norm_eps=1e-5,
                     tie_word_embeddings=True)
    del c["head_dim"]  # derived: hidden_size // num_attention_heads
    out["llama-mqa-tied-theta"] = (c, llama_params(c, "llama"), [
        "model.embed_tokens.weight", "model.layers.1.self_attn.k_proj.weight", "model.norm.weight"])

    c = llama_config(num_attention_heads=4, num_key_value_heads=4, attention_bias=True, mlp_bias=True,
                     hidden_act="gelu", head_dim=12, intermediate_size=24, tie_word_embeddings=False)
    out["llama-mha-bias-gelu"] = (c, llama_params(c, "llama"), [
        "model.layers.0.self_attn.o_proj.bias", "model.layers.1.mlp.down_proj.bias", "lm_head.weight"])

    c = mistral_config(sliding_window=64, rope_theta=1000000.0)
    out["mistral-gqa"] = (c, llama_params(c, "mistral"), [
        "model.layers.1.self_attn.v_proj.weight", "model.layers.0.input_layernorm.weight", "lm_head.weight"])

    # head_dim 8, theta 1e4: inv_freq 1, 0.1, 0.01, 0.001 -> wavelengths 6.3, 63, 628, 6283 against 64 / 1 = 64
    # (low-frequency bound) and 64 / 4 = 16 (high-frequency bound): one kept, one smoothed, two divided by 8
    c = llama_config(max_position_embeddings=512, rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64})
    out["llama3-rope-scaling"] = (c, llama_params(c, "llama"), [
        "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight", "lm_head.weight"])

    c = llama_config(rope_scaling={"type": "linear", "factor": 4.0}, tie_word_embeddings=True)  # legacy key
    out["llama-linear-rope"] = (c, llama_params(c, "llama"), [
        "model.embed_tokens.weight", "model.layers.0.self_attn.k_proj.weight",
        "model.layers.1.self_attn.q_proj.weight"])

    c = mistral_config(sliding_window=3, num_attention_heads=4, num_key_value_heads=1, head_dim=8)
    out["mistral-sliding-window-3"] = (c, llama_params(c, "mistral"), [
        "model.layers.0.self_attn.v_proj.weight", "model.layers.1.self_attn.o_proj.weight", "lm_head.weight"])

    # a window the 5-token prompt of generate.safetensors fits in but its 11 tokens do not: prefill attends to every
    # key, decode steps 2-5 (query positions 6-9) drop the oldest keys; in the 7 inputs here only position 6 drops one
    c = mistral_config(sliding_window=6, num_attention_heads=4, num_key_value_heads=2, head_dim=8)
    out["mistral-sliding-window-6"] = (c, llama_params(c, "mistral"), [
        "model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.up_proj.weight", "lm_head.weight"])

    c = qwen2_config(tie_word_embeddings=True, use_sliding_window=False, rope_theta=1000000.0, rms_norm_eps=1e-6)
    out["qwen2-tied-bias"] = (c, llama_params(c, "qwen2"), [
        "model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.v_proj.bias",
        "model.embed_tokens.weight"])

    # layer 0 attends to every earlier key, layers 1 and 2 to the last 3 (own position included)
    c = qwen2_config(num_hidden_layers=3, use_sliding_window=True, sliding_window=3, max_window_layers=1)
    out["qwen2-sliding-window-layers"] = (c, llama_params(c, "qwen2"), [
        "model.layers.0.self_attn.k_proj.weight", "model.layers.2.self_attn.q_proj.bias", "lm_head.weight"])

    # 7 positions against max_position_embeddings 4: the base becomes 1e4 * (2 * 7 / 4 - 1) ** (8 / 6) = 3.39e4
    c = llama_config(max_position_embeddings=4, rope_scaling={"rope_type": "dynamic", "factor": 2.0})
    out["llama-rope-dynamic"] = (c, llama_params(c, "llama"), [
        "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight", "lm_head.weight"])

    # theta 100 spreads head_dim 8's four frequencies over the ramp: correction range [0, 3] (beta_fast 32 -> -0.99,
    # beta_slow 1 -> 2.02, truncated), keep-factors 1, 2/3, 1/3, 0; attention_factor 1 + 0.1 ln 4
    c = llama_config(max_position_embeddings=256, rope_theta=100.0, rope_scaling={
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64})
    out["llama-rope-yarn"] = (c, llama_params(c, "llama"), [
        "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight", "lm_head.weight"])

    # every optional yarn key: beta_fast 16 / beta_slow 2 (range [0, 1.41], not truncated: keep-factors 1, 0.29, 0, 0),
    # mscale / mscale_all_dim (attention_factor (1 + 0.1 ln 4) / (1 + 0.05 ln 4) = 1.0648)
    c = qwen2_config(max_position_embeddings=256, rope_theta=100.0, rope_scaling={
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64, "beta_fast": 16.0,
        "beta_slow": 2.0, "mscale": 1.0, "mscale_all_dim": 0.5, "truncate": False})
    out["qwen2-rope-yarn-mscale"] = (c, llama_params(c, "qwen2"), [
        "model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.weight", "lm_head.weight"])

    c = t5_config(feed_forward_proj="gated-gelu", tie_word_embeddings=False, num_layers=2, num_decoder_layers=3,
                  relative_attention_num_buckets=16, relative_attention_max_distance=32, d_kv=8, num_heads=3,
                  d_ff=16)
    out["t5-gated-gelu-untied"] = (c, t5_params(c), [
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "decoder.block.2.layer.2.DenseReluDense.wi_0.weight", "lm_head.weight"])

    c = t5_config(feed_forward_proj="relu", tie_word_embeddings=True, num_layers=3, num_decoder_layers=1,
                  relative_attention_num_buckets=8, relative_attention_max_distance=16, d_ff=24)
    out["t5-relu-tied"] = (c, t5_params(c), [
        "shared.weight", "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "decoder.block.0.layer.1.EncDecAttention.q.weight"])
    return out


# Cases whose config field must visibly move the outputs: the same weights and inputs with these overrides must
# change logits (or last_hidden_state) by more than CONTRAST_MIN, or the case tests nothing.
CONTRASTS = {
    "llama3-rope-scaling": [{"rope_scaling": None}],
    "llama-linear-rope": [{"rope_scaling": None}],
    "mistral-sliding-window-3": [{"sliding_window": None}],
    "mistral-sliding-window-6": [{"sliding_window": None}],
    # no window at all, and the window on every layer (what transformers 4.47's eager Qwen2 did)
    "qwen2-sliding-window-layers": [{"use_sliding_window": False}, {"max_window_layers": 0}],
    "llama-rope-dynamic": [{"rope_scaling": None}],
    "llama-rope-yarn": [{"rope_scaling": None}, {"rope_scaling": {
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64, "attention_factor": 1.0}}],
    "qwen2-rope-yarn-mscale": [{"rope_scaling": None}, {"rope_scaling": {
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64, "beta_fast": 16.0,
        "beta_slow": 2.0, "truncate": False}}],
}
CONTRAST_MIN = 1e-3

# Cases without generate.safetensors (every other case with a decoder has one). "dynamic" rope recomputes its
# frequencies from the length of the sequence it is called on: full recomputation re-rotates every key once the
# sequence passes max_position_embeddings, while a KV cache keeps keys rotated with the frequencies of the step that
# wrote them (transformers' own cached generate() does so), so the two legitimately differ.
NO_GENERATION = {"llama-rope-dynamic"}
# The same for the greedy steps: the same weights and generated tokens (teacher-forced) with these overrides must move
# some step's logits by more than CONTRAST_MIN, or the window never cuts a key during generation.
GENERATION_CONTRASTS = {
    "mistral-sliding-window-3": [{"sliding_window": None}],
    "mistral-sliding-window-6": [{"sliding_window": None}],
    "qwen2-sliding-window-layers": [{"use_sliding_window": False}, {"max_window_layers": 0}],
}

# ----------------------------------------------------------------------------------------------------------
# generation
# ----------------------------------------------------------------------------------------------------------

STD = {"mat": 0.2, "emb": 0.25, "bias": 0.1, "relbias": 0.5}


def init_params(spec, seed, std=None):
    std = dict(STD, **(std or {}))
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name in sorted(spec):
        shape, role = spec[name]
        t = torch.empty(shape).normal_(0.0, 0.2 if role == "norm" else std[role], generator=g)
        out[name] = t + 1.0 if role == "norm" else t
    return out


def inputs(config, kind, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, config["vocab_size"], (BATCH, SEQ), generator=g, dtype=torch.int64)
    mask = None
    if kind == "encoder":
        mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
        mask[1, PAD_FROM:] = 0
        ids[1, PAD_FROM:] = config["pad_token_id"]
    return ids, mask


def make_case(name, config, spec, grads, std, out_dir):
    seed = zlib.crc32(name.encode())
    arch = config["architectures"][0]
    kind = ref.kind_of(arch)
    params = init_params(spec, seed, std)
    ids, mask = inputs(config, kind, seed + 1)
    exp = ref.compute_expected(config, params, ids, mask, grads, arch)
    contrasts = []
    for override in CONTRASTS.get(name, []):
        other = dict(config, **override)
        with torch.no_grad():
            alt = ref.forward(other, params, ids, attention_mask=mask if kind == "encoder" else None,
                              architecture=arch)
        key = "logits" if "logits" in alt else "last_hidden_state"
        diff = (alt[key] - exp[key]).abs().max().item()
        contrasts.append(f"    vs {json.dumps(override)}: max |diff| of {key} {diff:.4e}")
        if not diff > CONTRAST_MIN:
            raise RuntimeError(f"{name}: {override} moves {key} by only {diff:.3e}")
    for k, v in exp.items():
        if not torch.isfinite(v).all():
            raise RuntimeError(f"{name}: {k} is not finite")
    exp["input_ids"] = ids
    if mask is not None:
        exp["attention_mask"] = mask
    meta = dict(case=name, kind=kind, architecture=arch, atol="1e-4", rtol="1e-4", note=NOTE, generator=GENERATOR)
    write_case(os.path.join(out_dir, name), config, params, exp, meta)
    for line in contrasts:
        print(line)
    if kind != "encoder" and name not in NO_GENERATION:
        make_generation(name, config, params, arch, out_dir)


def make_generation(name, config, params, arch, out_dir):
    """Writes <case>/generate.safetensors: greedy decoding by full recomputation (generation.py) from the first
    prompt seed whose top-1/top-2 logit gaps all stay >= generation.MIN_MARGIN."""
    tensors, meta = generation.generation_fixture(name, config, params, arch, generator=GENERATOR)
    lines = []
    for override in GENERATION_CONTRASTS.get(name, []):
        alt = generation.teacher_forced_step_logits(dict(config, **override), params, tensors["prompt_ids"],
                                                    tensors["generated_ids"], arch)
        per_step = (alt - tensors["step_logits"]).abs().amax(dim=(1, 2))
        lines.append(f"    vs {json.dumps(override)}: max |diff| of step_logits per step "
                     + " ".join(f"{d:.1e}" for d in per_step.tolist()))
        if not per_step.max().item() > CONTRAST_MIN:
            raise RuntimeError(f"{name}: {override} moves the step logits by only {per_step.max().item():.3e}")
    for k, v in tensors.items():
        if not torch.isfinite(v.float()).all():
            raise RuntimeError(f"{name}: {k} is not finite")
    path = os.path.join(out_dir, name, "generate.safetensors")
    ref.write_safetensors(path, tensors, meta)
    print(f"    generate.safetensors: prompt seed {meta['prompt_seed']}, top-1 margin {meta['min_top1_margin']}, "
          f"generated_ids {list(tensors['generated_ids'].shape)}, {os.path.getsize(path) / 1024:.1f} KiB")
    for line in lines:
        print(line)


def write_case(d, config, params, expected, meta):
    """Writes one checkpoint directory: config.json, model.safetensors (params as given), expected.safetensors."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    ref.write_safetensors(os.path.join(d, "model.safetensors"), params, {"format": "pt"})
    ref.write_safetensors(os.path.join(d, "expected.safetensors"), expected, meta)
    sizes = {f: os.path.getsize(os.path.join(d, f)) for f in ("model.safetensors", "expected.safetensors")}
    loss = f"loss {expected['loss'].item():.4f}" if "loss" in expected else "no head"
    print(f"{meta['case']:26s} {meta['architecture']:28s} {meta['kind']:8s} {loss:12s} "
          f"model {sizes['model.safetensors'] / 1024:.1f} KiB, expected {sizes['expected.safetensors'] / 1024:.1f} KiB")
    print("    " + ", ".join(sorted(expected)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    all_cases = cases()
    for name in args.cases or list(all_cases):
        config, spec, grads, *rest = all_cases[name]
        missing = [g for g in grads if g not in spec]
        if missing:
            raise KeyError(f"{name}: no parameter {missing}")
        make_case(name, config, spec, grads, rest[0] if rest else None, args.out)


if __name__ == "__main__":
    main()
