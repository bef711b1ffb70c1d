#!/usr/bin/env python3
"""An independent re-statement, in plain PyTorch (1.13), of the eager forward of Hugging Face transformers (4.47)
for the model classes tfbench reproduces, plus a minimal safetensors reader/writer. The math lives in
families/<family>.py, one file per family as in packages/core/src/models/families; this file holds the entry
points. Float32 by default; compute_expected(dtype=torch.bfloat16) runs a model as from_pretrained(
torch_dtype=torch.bfloat16) does. Three features follow current transformers instead of 4.47 (families/llama.py):
Qwen2's per-layer sliding window (layer_types) and the "dynamic" and "yarn" rotary scalings.

transformers is not installable on the development machine, so this is the stand-in "HF" that
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

A checkpoint directory's config and weights: `config, params = load_checkpoint(dir)` (weights from model.safetensors
or the shards of model.safetensors.index.json only, never the expected/generate fixtures beside them).

Classes: BertModel, BertForMaskedLM, RobertaModel, RobertaForMaskedLM, DistilBertModel,
DistilBertForMaskedLM, GPT2Model, GPT2LMHeadModel, LlamaModel, LlamaForCausalLM, MistralModel,
MistralForCausalLM, Qwen2Model, Qwen2ForCausalLM, T5Model, T5ForConditionalGeneration.
"""
import json
import os
import struct

import numpy as np
import torch

from families.bert import bert_forward
from families.distilbert import distilbert_forward
from families.gpt2 import gpt2_forward
from families.llama import llama_like_forward
from families.roberta import roberta_forward
from families.t5 import t5_forward

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
# checkpoint directories
# ----------------------------------------------------------------------------------------------------------

WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"


def checkpoint_weight_files(case_dir):
    """The files holding a checkpoint directory's weights, as the Hub stores them: the shards that
    model.safetensors.index.json's weight_map names when there is an index, else model.safetensors. Nothing else:
    the fixtures tfbench keeps beside the weights (expected.safetensors, generate.safetensors) are never weights."""
    index = os.path.join(case_dir, WEIGHTS_INDEX)
    if os.path.isfile(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        return [os.path.join(case_dir, name) for name in sorted(set(weight_map.values()))]
    path = os.path.join(case_dir, WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{case_dir} has neither {WEIGHTS_FILE} nor {WEIGHTS_INDEX}")
    return [path]


def load_checkpoint(case_dir, dtype=torch.float32):
    """(config dict, {HF name: tensor}) of a checkpoint directory, the weights cast to `dtype` (float32 by default:
    a BF16 checkpoint is upcast, as the parity fixtures' reference runs did). A tensor stored twice across shards
    is an error."""
    with open(os.path.join(case_dir, "config.json")) as f:
        config = json.load(f)
    params = {}
    for path in checkpoint_weight_files(case_dir):
        tensors, _ = read_safetensors(path)
        for name, t in tensors.items():
            if name in params:
                raise ValueError(f"{name} is stored twice in {case_dir}")
            params[name] = t.to(dtype)
    return config, params



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
        return bert_forward(config, params, arch, input_ids, attention_mask, labels)
    if arch.startswith("Roberta"):
        return roberta_forward(config, params, arch, input_ids, attention_mask, labels)
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


def compute_expected(config, params, input_ids, attention_mask, grad_names, architecture=None,
                     dtype=torch.float32):
    """The tensors a fixture stores, computed the way the parity fixtures were:
    - encoder: last_hidden_state and logits with the attention mask (pooler_output for a base model);
    - decoder: last_hidden_state and logits without a mask;
    - seq2seq: encoder_last_hidden_state and logits with decoder_input_ids = input_ids;
    - loss: a second forward, no mask, labels = input_ids (T5: decoder_input_ids = input_ids too);
    - grad.<name>: after one backward of that loss.
    Base models (no head) get no loss and no gradients.
    dtype: the model's dtype, as from_pretrained(torch_dtype=dtype) gives it: weights and activations in that dtype,
    upcast where transformers upcasts (see families/). Outputs come back in that dtype; gradients only in float32."""
    arch = architecture or config["architectures"][0]
    kind = kind_of(arch)
    if dtype != torch.float32 and grad_names:
        raise ValueError("gradients are only computed in float32")
    params = {k: v.detach().to(dtype).requires_grad_(True) for k, v in params.items()}
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
        if grad_names:
            out["loss"].backward()
        res["loss"] = out["loss"].detach().clone().reshape(())
        for name in grad_names:
            g = params[name].grad
            res["grad." + name] = torch.zeros_like(params[name]) if g is None else g.detach().clone()
    return res
