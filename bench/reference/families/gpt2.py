"""GPT-2 (GPT2Model, GPT2LMHeadModel; modeling_gpt2.py)."""
import torch
import torch.nn.functional as F

from .common import Weights, act, causal_lm_loss, embedding, with_lm_head, linear

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
        # GPT2Attention._attn (4.47) takes the softmax in the scores' dtype: no upcast in a bfloat16 model unless
        # reorder_and_upcast_attn made the scores float32 above
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


