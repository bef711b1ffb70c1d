import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseArgs } from '../src/args/index.js';
import { ModelError } from '../src/errors.js';
import {
  knownModelConfig,
  listKnownModels,
  normaliseConfig,
  parameterCount,
  parameterShapes,
  resolveModel,
  resolveModels,
  type ModelSpec,
} from '../src/models/index.js';
import { safetensorsBytes } from './safetensors-bytes.js';
import { sharedFixture, skipWithoutShared } from './shared-fixtures.js';

const FIXTURE = sharedFixture('parity/bert');
const opts = { onlyPretrainModel: false, baseDir: process.cwd() };

/** BertConfig() with no arguments, as the native side receives it for a base model. */
const BERT_DEFAULT_SPEC: ModelSpec = {
  family: 'bert',
  head: 'base',
  add_pooling_layer: true,
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
  head_act: 'gelu',
  position_ids: 'absolute',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  pad_token_id: 0,
  tie_word_embeddings: true,
};

function modelError(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ModelError, `expected ModelError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_MODEL');
    return err;
  }
  assert.fail('expected a ModelError');
}

describe('known models', () => {
  it('normalise to the published config values', () => {
    const expected: Record<string, Partial<ModelSpec>> = {
      'bert-base-uncased': { vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
      'bert-base-cased': { vocab_size: 28996, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
      'bert-large-uncased': { vocab_size: 30522, hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 },
    };
    for (const [id, sizes] of Object.entries(expected)) {
      const m = resolveModel(id, opts);
      assert.equal(m.source, 'known');
      assert.equal(m.knownId, id);
      assert.equal(m.name, id);
      assert.deepEqual(m.weightFiles, []);
      assert.deepEqual(m.hfConfig.architectures, ['BertForMaskedLM']);
      assert.deepEqual(m.spec, { ...BERT_DEFAULT_SPEC, ...sizes, head: 'masked-lm', add_pooling_layer: false });
      assert.deepEqual(m.trainSpec, m.spec);
    }
  });

  it('accept the hub namespaced ids', () => {
    const m = resolveModel('google-bert/bert-base-cased', opts);
    assert.equal(m.knownId, 'bert-base-cased');
    assert.equal(m.spec.vocab_size, 28996);
  });

  it('are listed with parameter counts', () => {
    const list = listKnownModels();
    assert.deepEqual(
      list.map((m) => [m.id, m.modelType, m.architecture, m.parameters]),
      [
        ['bert-base-uncased', 'bert', 'BertForMaskedLM', 109_514_298],
        ['bert-base-cased', 'bert', 'BertForMaskedLM', 108_340_804],
        ['bert-large-uncased', 'bert', 'BertForMaskedLM', 335_174_458],
        ['roberta-base', 'roberta', 'RobertaForMaskedLM', 124_697_433],
        ['roberta-large', 'roberta', 'RobertaForMaskedLM', 355_412_057],
        ['distilbert-base-uncased', 'distilbert', 'DistilBertForMaskedLM', 66_985_530],
        ['gpt2', 'gpt2', 'GPT2LMHeadModel', 124_439_808],
        ['gpt2-medium', 'gpt2', 'GPT2LMHeadModel', 354_823_168],
        ['gpt2-large', 'gpt2', 'GPT2LMHeadModel', 774_030_080],
        ['gpt2-xl', 'gpt2', 'GPT2LMHeadModel', 1_557_611_200],
        ['t5-small', 't5', 'T5ForConditionalGeneration', 60_506_624],
        ['t5-base', 't5', 'T5ForConditionalGeneration', 222_903_552],
        ['t5-large', 't5', 'T5ForConditionalGeneration', 737_668_096],
        ['google/flan-t5-base', 't5', 'T5ForConditionalGeneration', 247_577_856],
        ['meta-llama/Llama-2-7b-hf', 'llama', 'LlamaForCausalLM', 6_738_415_616],
        ['meta-llama/Llama-3.1-8B', 'llama', 'LlamaForCausalLM', 8_030_261_248],
        ['meta-llama/Llama-3.2-1B', 'llama', 'LlamaForCausalLM', 1_235_814_400],
        ['TinyLlama/TinyLlama-1.1B-Chat-v1.0', 'llama', 'LlamaForCausalLM', 1_100_048_384],
        ['mistralai/Mistral-7B-v0.1', 'mistral', 'MistralForCausalLM', 7_241_732_096],
        ['Qwen/Qwen2.5-0.5B', 'qwen2', 'Qwen2ForCausalLM', 494_032_768],
        ['Qwen/Qwen2.5-7B', 'qwen2', 'Qwen2ForCausalLM', 7_615_616_512],
      ],
    );
  });

  it('give copies of their configs', () => {
    const config = knownModelConfig('bert-base-uncased');
    assert.ok(config);
    config.hidden_size = 1;
    assert.equal(knownModelConfig('bert-base-uncased')?.hidden_size, 768);
    assert.equal(resolveModel('bert-base-uncased', opts).spec.hidden_size, 768);
    assert.equal(knownModelConfig('nope'), undefined);
  });
});

describe('parameterCount', () => {
  it('matches the counts of the Hugging Face models', () => {
    const base = normaliseConfig(knownModelConfig('bert-base-uncased'), { onlyPretrainModel: true });
    assert.equal(base.head, 'base');
    assert.equal(parameterCount(base), 109_482_240);
    assert.equal(parameterCount(normaliseConfig(knownModelConfig('bert-base-uncased'))), 109_514_298);
    const large = normaliseConfig(knownModelConfig('bert-large-uncased'), { onlyPretrainModel: true });
    assert.equal(parameterCount(large), 335_141_888);
  });

  it('counts the decoder weight only when untied', () => {
    const tied = normaliseConfig(knownModelConfig('bert-base-uncased'));
    const untied = normaliseConfig({ ...knownModelConfig('bert-base-uncased'), tie_word_embeddings: false });
    assert.equal(parameterCount(untied) - parameterCount(tied), 30522 * 768);
    assert.deepEqual(parameterShapes(untied).at(-1), { name: 'cls.predictions.decoder.weight', shape: [30522, 768] });
  });

  it('lists Hugging Face parameter names in named_parameters() order', () => {
    const spec = normaliseConfig({ model_type: 'bert', vocab_size: 99, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 64 });
    assert.deepEqual(
      parameterShapes(spec).map((p) => `${p.name} ${p.shape.join('x')}`),
      [
        'embeddings.word_embeddings.weight 99x32',
        'embeddings.position_embeddings.weight 64x32',
        'embeddings.token_type_embeddings.weight 2x32',
        'embeddings.LayerNorm.weight 32',
        'embeddings.LayerNorm.bias 32',
        'encoder.layer.0.attention.self.query.weight 32x32',
        'encoder.layer.0.attention.self.query.bias 32',
        'encoder.layer.0.attention.self.key.weight 32x32',
        'encoder.layer.0.attention.self.key.bias 32',
        'encoder.layer.0.attention.self.value.weight 32x32',
        'encoder.layer.0.attention.self.value.bias 32',
        'encoder.layer.0.attention.output.dense.weight 32x32',
        'encoder.layer.0.attention.output.dense.bias 32',
        'encoder.layer.0.attention.output.LayerNorm.weight 32',
        'encoder.layer.0.attention.output.LayerNorm.bias 32',
        'encoder.layer.0.intermediate.dense.weight 37x32',
        'encoder.layer.0.intermediate.dense.bias 37',
        'encoder.layer.0.output.dense.weight 32x37',
        'encoder.layer.0.output.dense.bias 32',
        'encoder.layer.0.output.LayerNorm.weight 32',
        'encoder.layer.0.output.LayerNorm.bias 32',
        'pooler.dense.weight 32x32',
        'pooler.dense.bias 32',
      ],
    );
  });
});

describe('normaliseConfig', () => {
  it('gives a bare {model_type: "bert"} the BertConfig defaults and the base model', () => {
    assert.deepEqual(normaliseConfig({ model_type: 'bert' }), BERT_DEFAULT_SPEC);
  });

  it('builds the LM head for training when the config names no architecture', () => {
    const spec = normaliseConfig({ model_type: 'bert' }, { purpose: 'training' });
    assert.equal(spec.head, 'masked-lm');
    assert.equal(spec.add_pooling_layer, false);
    assert.equal(normaliseConfig({ model_type: 'bert', architectures: ['BertModel'] }, { purpose: 'training' }).head, 'masked-lm');
  });

  it('follows architectures[0]', () => {
    assert.equal(normaliseConfig({ model_type: 'bert', architectures: ['BertModel'] }).head, 'base');
    assert.equal(normaliseConfig({ model_type: 'bert', architectures: ['BertForMaskedLM'] }).head, 'masked-lm');
    assert.equal(normaliseConfig({ model_type: 'bert', architectures: [] }).head, 'base');
    assert.equal(normaliseConfig({ model_type: 'bert', architectures: null }).head, 'base');
  });

  it('refuses other heads unless onlyPretrainModel', () => {
    for (const architecture of ['BertForPreTraining', 'BertLMHeadModel', 'BertForSequenceClassification']) {
      const config = { model_type: 'bert', architectures: [architecture] };
      const err = modelError(() => normaliseConfig(config));
      assert.deepEqual(err.problems, [
        {
          path: 'architectures[0]',
          message: `${architecture} is not supported (supported: BertModel, BertForMaskedLM); set onlyPretrainModel: true to benchmark its base model (BertModel)`,
        },
      ]);
      const spec = normaliseConfig(config, { onlyPretrainModel: true });
      assert.equal(spec.head, 'base');
      assert.equal(spec.add_pooling_layer, true);
    }
  });

  it('forces the base model with onlyPretrainModel', () => {
    assert.equal(normaliseConfig(knownModelConfig('bert-base-uncased'), { onlyPretrainModel: true }).head, 'base');
  });

  it('refuses an unsupported or missing model_type, naming the supported ones', () => {
    assert.equal(
      modelError(() => normaliseConfig({ model_type: 'mamba' })).message,
      'config: model_type "mamba" is not supported (supported: "bert", "roberta", "distilbert", "gpt2", "llama", "mistral", "qwen2", "t5")',
    );
    assert.equal(
      modelError(() => normaliseConfig({ hidden_size: 8 }, { name: 'x' })).message,
      'config of "x": model_type is missing (supported: "bert", "roberta", "distilbert", "gpt2", "llama", "mistral", "qwen2", "t5")',
    );
    assert.equal(modelError(() => normaliseConfig([1])).message, 'config: expected a JSON object, got [1]');
  });

  it("refuses custom code (auto_map, transformers' trust_remote_code) naming the model_type, the class and the supported types", () => {
    // THUDM/chatglm3-6b's config (abridged): its model_type exists only in the repository's code.
    const chatglm = {
      model_type: 'chatglm',
      architectures: ['ChatGLMModel'],
      auto_map: {
        AutoConfig: 'configuration_chatglm.ChatGLMConfig',
        AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration',
        AutoModelForCausalLM: 'modeling_chatglm.ChatGLMForConditionalGeneration',
      },
    };
    const err = modelError(() => normaliseConfig(chatglm, { name: 'THUDM/chatglm3-6b' }));
    assert.equal(
      err.message,
      'config of "THUDM/chatglm3-6b": model_type "chatglm" is not supported: its repository defines it in its own code ' +
        '(auto_map.AutoModel → modeling_chatglm.ChatGLMForConditionalGeneration), which transformers runs only with ' +
        "trust_remote_code=True; tfbench never runs a repository's code " +
        '(supported: "bert", "roberta", "distilbert", "gpt2", "llama", "mistral", "qwen2", "t5")',
    );
    assert.equal(err.hint, 'Benchmark a model of a supported family, or open an issue asking for this one.');
    // The class of architectures[0] when auto_map has one; a tokenizer's [slow, fast] pair names the slow class.
    const phi3 = {
      model_type: 'phi3',
      architectures: ['Phi3ForCausalLM'],
      auto_map: { AutoTokenizer: ['tokenization_phi3.Phi3Tokenizer', null], AutoModelForCausalLM: 'modeling_phi3.Phi3ForCausalLM' },
    };
    assert.match(modelError(() => normaliseConfig(phi3)).message, /^config: model_type "phi3" is not supported: its repository defines it in its own code \(auto_map\.AutoModelForCausalLM → modeling_phi3\.Phi3ForCausalLM\)/);
    const tokenizerOnly = { model_type: 'phi3', auto_map: { AutoTokenizer: ['tokenization_phi3.Phi3Tokenizer', null] } };
    assert.match(modelError(() => normaliseConfig(tokenizerOnly)).message, /\(auto_map\.AutoTokenizer → tokenization_phi3\.Phi3Tokenizer\)/);
  });

  it('refuses auto_map on a supported model_type unless the config sets it to null', () => {
    const llama = {
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      hidden_size: 32, intermediate_size: 37, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 99,
      auto_map: { AutoConfig: 'configuration_custom.CustomConfig', AutoModelForCausalLM: 'modeling_custom.LlamaForCausalLM' },
    };
    const err = modelError(() => normaliseConfig(llama, { name: 'org/custom-llama' }));
    assert.equal(
      err.message,
      "config of \"org/custom-llama\": auto_map points at its repository's own code (auto_map.AutoModelForCausalLM → " +
        'modeling_custom.LlamaForCausalLM), which transformers runs only with trust_remote_code=True; tfbench never runs a ' +
        "repository's code, and that code may compute otherwise than transformers' \"llama\" classes, which tfbench implements",
    );
    assert.equal(
      err.hint,
      'To benchmark it as transformers\' own "llama" model (what transformers builds without trust_remote_code), override ' +
        'auto_map in an inline config: { "name": "…", "base": "<this model>", "config": { "auto_map": null } } (a checkpoint keeps its weights).',
    );
    const builtIn = normaliseConfig({ ...llama, auto_map: null });
    assert.equal(builtIn.family, 'llama');
    assert.equal(builtIn.hidden_size, 32);
  });

  it('refuses fields that change the math, naming each', () => {
    const err = modelError(() =>
      normaliseConfig({
        model_type: 'bert',
        position_embedding_type: 'relative_key',
        is_decoder: true,
        add_cross_attention: true,
        hidden_act: 'tanh',
        chunk_size_feed_forward: 64,
        pruned_heads: { '0': [1] },
      }),
    );
    assert.deepEqual(err.problems, [
      { path: 'position_embedding_type', message: 'only "absolute" is supported, got "relative_key"' },
      { path: 'is_decoder', message: 'only false is supported, got true' },
      { path: 'add_cross_attention', message: 'only false is supported, got true' },
      { path: 'chunk_size_feed_forward', message: 'only 0 (no chunking) is supported, got 64' },
      { path: 'pruned_heads', message: 'pruned attention heads are not supported, got {"0":[1]}' },
      {
        path: 'hidden_act',
        message: 'expected one of "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", got "tanh"',
      },
    ]);
    assert.match(err.message, /^config \(model_type "bert"\) cannot be used:\n {2}position_embedding_type: only "absolute"/);
  });

  it('accepts every implemented activation', () => {
    for (const act of ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu']) {
      assert.equal(normaliseConfig({ model_type: 'bert', hidden_act: act }).hidden_act, act);
    }
    assert.equal(normaliseConfig({ model_type: 'bert', hidden_act: 'swish' }).hidden_act, 'silu');
  });

  it('checks numbers with their keys and values', () => {
    const err = modelError(() =>
      normaliseConfig({
        model_type: 'bert',
        vocab_size: '30522',
        hidden_size: 384.5,
        num_hidden_layers: 0,
        num_attention_heads: -2,
        intermediate_size: null,
        layer_norm_eps: 0,
        hidden_dropout_prob: 1.5,
        initializer_range: -1,
        pad_token_id: -1,
        tie_word_embeddings: 'yes',
        architectures: 'BertModel',
      }),
    );
    assert.deepEqual(err.problems, [
      { path: 'vocab_size', message: 'expected a positive integer, got "30522"' },
      { path: 'hidden_size', message: 'expected a positive integer, got 384.5' },
      { path: 'num_hidden_layers', message: 'expected a positive integer, got 0' },
      { path: 'num_attention_heads', message: 'expected a positive integer, got -2' },
      { path: 'intermediate_size', message: 'expected a positive integer, got null' },
      { path: 'layer_norm_eps', message: 'expected a number > 0, got 0' },
      { path: 'hidden_dropout_prob', message: 'expected a number >= 0 and <= 1, got 1.5' },
      { path: 'initializer_range', message: 'expected a number >= 0, got -1' },
      { path: 'pad_token_id', message: 'expected an integer >= 0, got -1' },
      { path: 'tie_word_embeddings', message: 'expected true or false, got "yes"' },
      { path: 'architectures', message: 'expected a list of model class names, got "BertModel"' },
    ]);
  });

  it('checks that hidden_size divides into heads', () => {
    const err = modelError(() => normaliseConfig({ model_type: 'bert', hidden_size: 384, num_attention_heads: 5 }));
    assert.deepEqual(err.problems, [{ path: 'hidden_size', message: '384 is not a multiple of num_attention_heads (5)' }]);
    assert.equal(normaliseConfig({ model_type: 'bert', hidden_size: 384 }).hidden_size, 384);
  });

  it('checks pad_token_id against vocab_size', () => {
    const err = modelError(() => normaliseConfig({ model_type: 'bert', vocab_size: 10, pad_token_id: 10 }));
    assert.deepEqual(err.problems, [{ path: 'pad_token_id', message: 'expected an integer in [0, 10), got 10' }]);
  });
});

describe('resolveModel', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfbench-models-'));
    mkdirSync(join(dir, 'ckpt'));
    writeFileSync(join(dir, 'ckpt', 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 64, num_attention_heads: 4 }));
    // Two shards of one tensor each, listed by the index (resolution reads every weight file's header).
    const shard = (name: string) => safetensorsBytes({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    writeFileSync(join(dir, 'ckpt', 'model-00002-of-00002.safetensors'), shard('b'));
    writeFileSync(join(dir, 'ckpt', 'model-00001-of-00002.safetensors'), shard('a'));
    const weight_map = { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' };
    writeFileSync(join(dir, 'ckpt', 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map }));
    writeFileSync(join(dir, 'ckpt', 'expected.safetensors'), '');
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify({ model_type: 'bert', num_hidden_layers: 2 }));
    writeFileSync(join(dir, 'broken.json'), '{"model_type": "bert",');
    writeFileSync(join(dir, 'array.json'), '[]');
    mkdirSync(join(dir, 'empty'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a checkpoint directory: config and the shards its index lists (not expected.safetensors)', () => {
    const m = resolveModel('ckpt', { onlyPretrainModel: false, baseDir: dir });
    assert.equal(m.source, 'path');
    assert.equal(m.name, 'ckpt');
    assert.equal(m.configPath, join(dir, 'ckpt', 'config.json'));
    assert.equal(m.checkpointDir, join(dir, 'ckpt'));
    assert.deepEqual(m.weightFiles, [
      join(dir, 'ckpt', 'model-00001-of-00002.safetensors'),
      join(dir, 'ckpt', 'model-00002-of-00002.safetensors'),
    ]);
    assert.equal(m.spec.hidden_size, 64);
  });

  it('reads the parity fixture', { skip: skipWithoutShared('parity/bert') }, () => {
    const m = resolveModel(FIXTURE, opts);
    assert.equal(m.name, FIXTURE);
    assert.deepEqual(m.weightFiles, [join(FIXTURE, 'model.safetensors')]);
    assert.deepEqual(m.spec, {
      ...BERT_DEFAULT_SPEC,
      head: 'masked-lm',
      add_pooling_layer: false,
      vocab_size: 99,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 37,
      max_position_embeddings: 64,
    });
    assert.equal(m.parameterCount, parameterCount(m.spec));
  });

  it('reads a config.json path relative to baseDir', () => {
    const m = resolveModel('./tiny.json', { onlyPretrainModel: false, baseDir: dir });
    assert.equal(m.configPath, join(dir, 'tiny.json'));
    assert.equal(m.checkpointDir, undefined);
    assert.deepEqual(m.weightFiles, []);
    assert.equal(m.spec.num_hidden_layers, 2);
  });

  it('applies inline overrides to a base (HF docs: bert-384-hid)', () => {
    const m = resolveModel({ name: 'bert-384-hid', base: 'bert-base-uncased', config: { hidden_size: 384 } }, opts);
    assert.equal(m.source, 'inline');
    assert.equal(m.name, 'bert-384-hid');
    assert.equal(m.knownId, 'bert-base-uncased');
    assert.equal(m.spec.hidden_size, 384);
    assert.equal(m.spec.head, 'masked-lm');
    assert.equal(m.spec.vocab_size, 30522);
  });

  it('drops checkpoint weights when an inline model changes the config', () => {
    const same = resolveModel({ name: 'a', base: 'ckpt' }, { onlyPretrainModel: false, baseDir: dir });
    assert.equal(same.weightFiles.length, 2);
    const changed = resolveModel({ name: 'b', base: 'ckpt', config: { num_hidden_layers: 1 } }, { onlyPretrainModel: false, baseDir: dir });
    assert.deepEqual(changed.weightFiles, []);
    assert.equal(changed.checkpointDir, join(dir, 'ckpt'));
  });

  it('keeps checkpoint weights when an inline model overrides only auto_map or the dtype fields', () => {
    const base = join(dir, 'custom-code');
    mkdirSync(base);
    writeFileSync(join(base, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 64, num_attention_heads: 4, auto_map: { AutoModel: 'modeling_x.XModel' } }));
    writeFileSync(join(base, 'model.safetensors'), safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4));
    const options = { onlyPretrainModel: false, baseDir: dir };
    assert.match(modelError(() => resolveModel('custom-code', options)).message, /auto_map points at its repository's own code \(auto_map\.AutoModel → modeling_x\.XModel\)/);
    const builtIn = resolveModel({ name: 'built-in', base: 'custom-code', config: { auto_map: null, torch_dtype: 'bfloat16' } }, options);
    assert.deepEqual(builtIn.weightFiles, [join(base, 'model.safetensors')]);
    assert.equal(builtIn.spec.hidden_size, 64);
    const resized = resolveModel({ name: 'resized', base: 'custom-code', config: { auto_map: null, hidden_size: 32 } }, options);
    assert.deepEqual(resized.weightFiles, []);
  });

  it('explains unknown ids with close known ids', () => {
    // Of a Hugging Face id's form: the cache was read (resolveModel never asks the Hub; hub.test.ts has the rest).
    const env = { HF_HUB_CACHE: join(dir, 'hf-cache') };
    const err = modelError(() => resolveModel('bert-base-uncase', { onlyPretrainModel: false, baseDir: dir, env }));
    assert.equal(
      err.message,
      `unknown model "bert-base-uncase": not a known id, no file or directory at ${join(dir, 'bert-base-uncase')}, not in the Hugging Face cache (${join(dir, 'hf-cache')}); the Hub was not asked. Close known ids: bert-base-uncased, bert-base-cased, distilbert-base-uncased.`,
    );
    // Of no id's form: neither cache nor Hub is tried.
    const notAnId = modelError(() => resolveModel('bert/base/uncase', { onlyPretrainModel: false, baseDir: dir, env }));
    assert.equal(
      notAnId.message,
      `unknown model "bert/base/uncase": not a known id, and no file or directory at ${join(dir, 'bert/base/uncase')}. Close known ids: bert-base-uncased, bert-base-cased, distilbert-base-uncased.`,
    );
    assert.match(notAnId.hint, /tfbench models/);
  });

  it('explains missing config.json, invalid JSON and non-object JSON with the file name', () => {
    assert.equal(
      modelError(() => resolveModel('empty', { onlyPretrainModel: false, baseDir: dir })).message,
      `${join(dir, 'empty')}: no config.json in this directory`,
    );
    assert.match(
      modelError(() => resolveModel('broken.json', { onlyPretrainModel: false, baseDir: dir })).message,
      new RegExp(`^${join(dir, 'broken.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the config is not valid JSON \\(`),
    );
    assert.equal(
      modelError(() => resolveModel('array.json', { onlyPretrainModel: false, baseDir: dir })).message,
      `${join(dir, 'array.json')}: the config must be a JSON object, got []`,
    );
  });
});

describe('resolveModels', () => {
  it('resolves the Hugging Face docs example from an args file', () => {
    const parsed = parseArgs({
      models: ['bert-base', 'bert-384-hid', 'bert-6-lay'],
      configs: [{ model_type: 'bert' }, { model_type: 'bert', hidden_size: 384 }, { model_type: 'bert', num_hidden_layers: 6 }],
      batchSizes: [8],
      sequenceLengths: [8, 32, 128, 512],
    });
    assert.ok(parsed.ok);
    const models = resolveModels(parsed.args, { baseDir: process.cwd() });
    assert.deepEqual(
      models.map((m) => [m.name, m.source, m.spec.head, m.spec.hidden_size, m.spec.num_hidden_layers, m.parameterCount]),
      [
        ['bert-base', 'inline', 'base', 768, 12, 109_482_240],
        ['bert-384-hid', 'inline', 'base', 384, 12, 47_534_208],
        ['bert-6-lay', 'inline', 'base', 768, 6, 66_955_008],
      ],
    );
    assert.deepEqual(models[0]?.spec, BERT_DEFAULT_SPEC);
    assert.equal(models[0]?.trainSpec.head, 'masked-lm');
    assert.equal(models[0]?.trainParameterCount, 109_514_298);
  });

  it('collects every failing model as a problem at its path', () => {
    const err = modelError(() =>
      resolveModels(
        {
          models: [
            'bert-base-uncased',
            'no-such-model',
            { name: 'x', config: { model_type: 'bert', hidden_size: 100, num_attention_heads: 3 } },
            { name: 'g', config: { model_type: 'mamba' } },
          ],
          onlyPretrainModel: false,
        },
        { baseDir: '/nonexistent-dir' },
      ),
    );
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['models[1]', 'models[2]', 'models[3]'],
    );
    assert.match(err.problems[0]?.message ?? '', /^unknown model "no-such-model"/);
    assert.equal(err.problems[1]?.message, 'config of "x": hidden_size: 100 is not a multiple of num_attention_heads (3)');
    assert.equal(err.problems[2]?.message, 'config of "g": model_type "mamba" is not supported (supported: "bert", "roberta", "distilbert", "gpt2", "llama", "mistral", "qwen2", "t5")');
    assert.match(err.message, /^cannot build 3 models:\n {2}models\[1\]: unknown model/);
  });

  it('names problems after configs when the models came from configs', () => {
    const err = modelError(() =>
      resolveModels(
        { models: [{ name: 'a', config: { model_type: 'mamba' } }], configs: [{ model_type: 'mamba' }], onlyPretrainModel: false },
        { baseDir: '.' },
      ),
    );
    assert.deepEqual(err.problems, [{ path: 'configs[0]', message: 'config of "a": model_type "mamba" is not supported (supported: "bert", "roberta", "distilbert", "gpt2", "llama", "mistral", "qwen2", "t5")' }]);
  });
});
