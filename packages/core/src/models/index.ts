// @tfbench/core models: Hugging Face configs → normalised ModelSpec, parameters, safetensors checkpoints.
export type { HfConfig, InlineModelRef, ModelPurpose, ModelRef } from './types.js';
export type { ModelSpec } from './families/index.js';
export type { KnownModel } from './known/index.js';
export { findKnownModel, knownModelIds } from './known/index.js';
export type { CheckpointNaming, Family, NormaliseOptions, ParameterShape, TokenShape } from './families/types.js';
export type { EncoderSpec } from './families/bert.js';
export type { Gpt2Spec } from './families/gpt2.js';
export type { LlamaSpec } from './families/llama.js';
export type { T5Spec } from './families/t5.js';
export { families, familyForModelType, supportedModelTypes } from './families/index.js';
export { BERT_DEFAULTS, bertParameterShapes, encoderNames, type EncoderNames } from './families/bert.js';
export { familyOfSpec } from './families/index.js';
export { normaliseConfig } from './normalise.js';
export { layerStacks, parameterCount, parameterShapes } from './parameters.js';
export { checkConfigEntry, checkModelRef, isRawConfig, modelName } from './ref.js';
export type { CachedModelInfo, CachedModels, HubFailures, HubSource, KnownModelInfo, PrefetchOptions, ResolveOptions, ResolvedModel } from './resolve.js';
export {
  checkpointTensors,
  checkpointWeightFiles,
  knownModelConfig,
  listCachedModels,
  listKnownModels,
  modelPath,
  prefetchHubConfigs,
  resolveModel,
  resolveModelOnline,
  resolveModels,
  resolveModelsOnline,
} from './resolve.js';
export type { CachedFile, CachedRepo, HubEnv } from './hub-cache.js';
export { DEFAULT_REVISION, findCachedFile, hubCacheDir, isHubRepoId, listCachedRepos } from './hub-cache.js';
export type { HubOptions, HubToken } from './hub.js';
export { downloadHubFile, fetchHubConfigs, hubEndpoint, hubOffline, hubToken } from './hub.js';
export type { ConfigDtype, DTypeChoice } from './dtype.js';
export { AUTO_DTYPE, configDtype, runDtype } from './dtype.js';
export type { FitOptions, MemoryCapacity } from './fits.js';
export { CANNOT_FIT_HINT, DTYPE_BYTES, checkFits, checkModelsFit, formatBytes, memoryCapacity } from './fits.js';
export type { SafetensorsContents, SafetensorsDType, SafetensorsEntry, SafetensorsHeader } from './safetensors.js';
export {
  SAFETENSORS_DTYPE_SIZES,
  decodeTensor,
  hostTensorToFloat32,
  parseSafetensorsHeader,
  readFloatTensor,
  readSafetensors,
  readSafetensorsHeader,
} from './safetensors.js';
export type { CheckpointMapping, MapCheckpointOptions, MappedWeight, WeightMismatch } from './checkpoint.js';
export { mapCheckpointToParameters } from './checkpoint.js';
export { isPlainObject } from './util.js';
