"""Greedy decoding by full recomputation: the reference that tfbench's cached generation is checked against.

At each step the model runs one forward over the whole sequence so far (hf_reference.forward: no KV cache, no
generate()), and the next token is the argmax of the last position's logits; EOS never stops. A cache therefore
cannot hide in the reference: whatever a cached implementation gets wrong (positions that do not continue, a
sliding window applied to the cache, keys shared across query heads) shows up as other logits. This is the recipe
of the shared fixtures (../shared/fixtures/generation, made with the Hugging Face model classes); parity_check.py
--check-generation shows that this module reproduces them.

File format (generate.safetensors; ../shared/fixtures/README.md, "Greedy generation"):
- prompt_ids     int64 [B, S]: the prompt, no padding, no attention mask;
- generated_ids  int64: decoders the prompt followed by N new tokens [B, S + N]; encoder-decoders (T5) the decoder
                 sequence, decoder_start_token_id followed by N new tokens [B, 1 + N], with prompt_ids as the
                 encoder's input;
- step_logits    float32 [N, B, vocab]: at step i the logits of the last position, from which token i was taken;
- __metadata__   new_tokens, prompt_seed, min_top1_margin (the smallest gap between the two largest logits over
                 every step and row: at least MIN_MARGIN, so that an implementation within atol = rtol = 1e-4
                 cannot choose another token), versions, a note.

Shapes here: B = 2, S = 5, N = 6, as in the shared fixtures.
"""
import torch

import hf_reference as ref

BATCH, PROMPT_LEN, NEW_TOKENS = 2, 5, 6
MIN_MARGIN = 0.01
TOLERANCE = "1e-4"
NOTE = ("greedy decoding, eos disabled, no attention mask (no padding); generated_ids = prompt + new tokens (seq2seq: "
        "decoder_start_token_id + new tokens); step_logits[i] = logits of the last position at step i (float32; "
        "computed by full recomputation, one forward over the whole sequence per step, with "
        "bench/reference/hf_reference.py)")


def prompt_ids(vocab_size, seed, batch=BATCH, length=PROMPT_LEN):
    """[batch, length] int64, uniform in [3, vocab_size) from a generator seeded with `seed`: the shared fixtures'
    recipe (seed 2 gives their prompt). Ids 0-2 (the tiny configs' pad, bos and eos tokens) are left out, so the
    prompt needs no attention mask."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, vocab_size, (batch, length), generator=g, dtype=torch.int64)


def decoder_start_token_id(config):
    """T5's first decoder token: decoder_start_token_id, else pad_token_id (0 by T5Config's default), as
    t5_forward's _shift_right takes it."""
    start = config.get("decoder_start_token_id")
    return start if start is not None else config.get("pad_token_id", 0)


def greedy(config, params, prompt, new_tokens=NEW_TOKENS, architecture=None):
    """Greedy decoding of `new_tokens` tokens after `prompt` [B, S] by full recomputation, in the params' dtype.
    Returns (generated_ids, step_logits [new_tokens, B, vocab] float32): generated_ids [B, S + new_tokens] for a
    decoder, [B, 1 + new_tokens] (decoder_start_token_id first) for an encoder-decoder."""
    arch = architecture or config["architectures"][0]
    kind = ref.kind_of(arch)
    if kind == "encoder":
        raise ValueError(f"{arch} is an encoder: nothing to generate")
    B = prompt.shape[0]
    if kind == "decoder":
        seq = prompt.clone()
    else:
        seq = torch.full((B, 1), decoder_start_token_id(config), dtype=torch.int64)
    steps = []
    with torch.no_grad():
        for _ in range(new_tokens):
            if kind == "decoder":
                out = ref.forward(config, params, seq, architecture=arch)
            else:  # the encoder runs again each step too: nothing is carried over
                out = ref.forward(config, params, prompt, decoder_input_ids=seq, architecture=arch)
            last = out["logits"][:, -1, :].float()  # [B, vocab]
            steps.append(last)
            seq = torch.cat([seq, last.argmax(-1, keepdim=True)], dim=1)
    return seq, torch.stack(steps)


def teacher_forced_step_logits(config, params, prompt, generated_ids, architecture=None):
    """The logits each step of `generated_ids` was taken from, recomputed by one forward over the whole generated
    sequence (causal attention makes position t's logits those of the prefix up to t): [N, B, vocab] float32.
    Used to measure how far another config (no sliding window, ...) moves the same steps, without the tokens
    diverging."""
    arch = architecture or config["architectures"][0]
    kind = ref.kind_of(arch)
    with torch.no_grad():
        if kind == "decoder":
            logits = ref.forward(config, params, generated_ids[:, :-1], architecture=arch)["logits"]
            first = prompt.shape[1] - 1
        else:
            logits = ref.forward(config, params, prompt, decoder_input_ids=generated_ids[:, :-1],
                                 architecture=arch)["logits"]
            first = 0
    return logits[:, first:, :].float().transpose(0, 1).contiguous()


def min_top1_margin(step_logits):
    """The smallest gap between the largest and the second largest logit over all steps and rows."""
    top2 = step_logits.topk(2, dim=-1).values
    return (top2[..., 0] - top2[..., 1]).min().item()


def choose_prompt(config, params, architecture=None, first_seed=0, tries=100, min_margin=MIN_MARGIN,
                  new_tokens=NEW_TOKENS):
    """The first prompt seed from first_seed on whose greedy run keeps every top-1/top-2 gap at least min_margin.
    Returns (seed, prompt, generated_ids, step_logits, margin)."""
    for seed in range(first_seed, first_seed + tries):
        prompt = prompt_ids(config["vocab_size"], seed)
        ids, logits = greedy(config, params, prompt, new_tokens, architecture)
        margin = min_top1_margin(logits)
        if margin >= min_margin:
            return seed, prompt, ids, logits, margin
    raise RuntimeError(f"no prompt seed in [{first_seed}, {first_seed + tries}) keeps a top-1 margin of {min_margin}")


def generation_fixture(case, config, params, architecture=None, generator=None, note_extra=None):
    """The tensors and metadata of one generate.safetensors for a float32 checkpoint."""
    arch = architecture or config["architectures"][0]
    seed, prompt, ids, logits, margin = choose_prompt(config, params, arch)
    tensors = {"prompt_ids": prompt, "generated_ids": ids, "step_logits": logits}
    meta = dict(case=case, kind=ref.kind_of(arch), architecture=arch, new_tokens=str(NEW_TOKENS),
                prompt_seed=str(seed), min_top1_margin=f"{margin:.5f}", atol=TOLERANCE, rtol=TOLERANCE,
                torch_version=torch.__version__,
                reference="bench/reference/hf_reference.py (transformers 4.47.1's eager float32 math, re-stated)",
                note=NOTE + (f"; {note_extra}" if note_extra else ""))
    if generator:
        meta["generator"] = generator
    return tensors, meta


def compare(expected, got_ids, got_logits, tol):
    """Compares a greedy run with a generation fixture's tensors: (ok, ids equal, max |diff| of step_logits,
    problems). step_logits pass when |got - expected| <= tol + tol * |expected| everywhere."""
    problems = []
    e_ids, e_logits = expected["generated_ids"], expected["step_logits"].float()
    ids_equal = tuple(got_ids.shape) == tuple(e_ids.shape) and bool(torch.equal(got_ids, e_ids))
    if not ids_equal:
        problems.append(f"generated_ids differ: got {got_ids.tolist()}, expected {e_ids.tolist()}")
    if tuple(got_logits.shape) != tuple(e_logits.shape):
        problems.append(f"step_logits shape {list(got_logits.shape)} != {list(e_logits.shape)}")
        return False, ids_equal, None, problems
    diff = (got_logits.float() - e_logits).abs()
    max_diff = diff.max().item()
    if bool((diff > tol + tol * e_logits.abs()).any()):
        problems.append(f"step_logits off by up to {max_diff:.3e} (tolerance {tol})")
    return not problems, ids_equal, max_diff, problems
