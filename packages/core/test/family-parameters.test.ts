// Every family's TypeScript parameter list (names, shapes, order) is what the addon builds from the same spec:
// a tiny config of each model_type, base model and LM head, tied and untied.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { libtorchBackend } from '../src/backend/index.js';
import { normaliseConfig, parameterCount, parameterShapes, type HfConfig } from '../src/models/index.js';

const tiny = { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, vocab_size: 99 };
const tinyDecoder = { ...tiny, num_key_value_heads: 2, max_position_embeddings: 64 };

/** label → config; the variants switch on what changes the parameter list (biases, gated feed-forward). */
const CONFIGS: Readonly<Record<string, HfConfig>> = {
  bert: { model_type: 'bert', ...tiny },
  roberta: { model_type: 'roberta', ...tiny, max_position_embeddings: 66, type_vocab_size: 1 },
  distilbert: { model_type: 'distilbert', vocab_size: 99, dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 37 },
  gpt2: { model_type: 'gpt2', vocab_size: 99, n_embd: 32, n_layer: 2, n_head: 4, n_inner: 37, n_positions: 64 },
  llama: { model_type: 'llama', ...tinyDecoder },
  'llama with biases': { model_type: 'llama', ...tinyDecoder, attention_bias: true, mlp_bias: true },
  mistral: { model_type: 'mistral', ...tinyDecoder, sliding_window: 16 },
  qwen2: { model_type: 'qwen2', ...tinyDecoder },
  t5: {
    model_type: 't5',
    vocab_size: 99,
    d_model: 32,
    d_kv: 8,
    d_ff: 37,
    num_layers: 2,
    num_decoder_layers: 1,
    num_heads: 4,
    relative_attention_num_buckets: 8,
  },
  't5 gated': {
    model_type: 't5',
    vocab_size: 99,
    d_model: 32,
    d_kv: 8,
    d_ff: 37,
    num_layers: 2,
    num_heads: 4,
    feed_forward_proj: 'gated-gelu',
  },
};

describe('the addon builds the parameters the spec lists', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    for (const variant of [{ onlyPretrainModel: true }, { purpose: 'training' as const }]) {
      for (const tie of [true, false]) {
        const spec = normaliseConfig({ ...config, tie_word_embeddings: tie }, variant);
        it(`${name}, ${spec.head}, ${tie ? 'tied' : 'untied'}`, async () => {
          if (variant.onlyPretrainModel) assert.equal(spec.head, 'base');
          else assert.notEqual(spec.head, 'base');
          const built = await libtorchBackend().buildModel(spec, { device: 'cpu', dtype: 'float32', seed: 0 });
          assert.deepEqual(
            built.parameters().map((p) => ({ name: p.name, shape: p.shape })),
            parameterShapes(spec),
          );
          assert.equal(built.parameterCount(), parameterCount(spec));
        });
      }
    }
  }
});
