// What each family knows about generating (FamilyGeneration): the KV cache's formula, the positions it has, the
// weights a decode step reads, where the decode steps' contexts start; encoder-only families cannot generate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeContextStart, decodeStepWeightBytes, generationProblem, kvCacheFormulaBytes } from '../src/models/generation.js';
import { normaliseConfig, parameterCount, resolveModel } from '../src/models/index.js';

const known = (id: string) => resolveModel(id, { onlyPretrainModel: false, baseDir: '.' }).trainSpec;
const shape = { batchSize: 2, promptLength: 100, newTokens: 28 };

test('KV cache by formula: decoders 2·L·B·(S + N)·H_kv·d_head·bytes; T5 per decoder layer 1 + N self and S cross positions', () => {
  // Llama 3.2 1B in bfloat16: 2 · 16 layers · 8 KV heads · 64 · 2 bytes = 32 KiB a token.
  assert.equal(kvCacheFormulaBytes(known('meta-llama/Llama-3.2-1B'), shape, 2), 32 * 1024 * 2 * 128);
  // GPT-2 in float32: 2 · 12 layers · 768 · 4 bytes = 72 KiB a token.
  assert.equal(kvCacheFormulaBytes(known('gpt2'), shape, 4), 72 * 1024 * 2 * 128);
  // t5-small: 2 · 6 decoder layers · 8 heads · 64 · 4 bytes = 24 KiB a position; 1 + 28 self, 100 cross.
  assert.equal(kvCacheFormulaBytes(known('t5-small'), shape, 4), 24 * 1024 * 2 * (1 + 28 + 100));
});

test('positions: GPT-2 has n_positions, LLaMA max_position_embeddings unless its RoPE is dynamic, T5 no limit', () => {
  const gpt2 = known('gpt2');
  assert.equal(generationProblem(gpt2, { batchSize: 1, promptLength: 992, newTokens: 32 }), null, 'S + N = 1024 fits');
  assert.equal(
    generationProblem(gpt2, { batchSize: 1, promptLength: 1000, newTokens: 32 }),
    "the model has 1024 positions (max_position_embeddings; GPT-2's n_positions): a prompt of 1000 tokens and 32 new tokens need 1032",
  );
  const llama = { model_type: 'llama', vocab_size: 99, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 64 };
  assert.match(generationProblem(normaliseConfig(llama), { batchSize: 1, promptLength: 60, newTokens: 5 })!, /has 64 positions/);
  const dynamic = normaliseConfig({ ...llama, rope_scaling: { type: 'dynamic', factor: 2 } });
  assert.equal(generationProblem(dynamic, { batchSize: 1, promptLength: 60, newTokens: 5 }), null);
  assert.equal(generationProblem(known('t5-small'), { batchSize: 1, promptLength: 100000, newTokens: 5 }), null);
  for (const id of ['bert-base-uncased', 'roberta-base', 'distilbert-base-uncased']) {
    assert.match(generationProblem(known(id), shape)!, /is an encoder-only family: it has no decoder to generate with/, id);
  }
});

test('a decode step reads every weight but row lookups (untied embeddings, GPT-2 positions) and T5 encoder', () => {
  const gpt2 = known('gpt2'); // tied: wte is the LM head, read whole
  assert.equal(decodeStepWeightBytes(gpt2, 2), (parameterCount(gpt2) - 1024 * 768) * 2);
  const llama8b = known('meta-llama/Llama-3.1-8B'); // untied: embed_tokens gives one row a step
  assert.equal(decodeStepWeightBytes(llama8b, 2), (parameterCount(llama8b) - 128256 * 4096) * 2);
  const t5 = known('t5-small'); // tied: shared is the LM head
  const decoderOnly = { ...t5, num_hidden_layers: 0 };
  const encoderNorm = 512; // the encoder's final_layer_norm stays in a model without encoder layers
  assert.equal(decodeStepWeightBytes(t5, 4), (parameterCount(decoderOnly) - encoderNorm) * 4);
});

test('decode steps start at depth S + 1 in decoders (the prompt and the first new token), 2 in T5 (its own)', () => {
  assert.equal(decodeContextStart(known('gpt2'), shape), 101);
  assert.equal(decodeContextStart(known('meta-llama/Llama-3.2-1B'), shape), 101);
  assert.equal(decodeContextStart(known('t5-small'), shape), 2);
});
