// @tfbench/core args: the argument table, reading the args file, parsing with problems as data, --help rows,
// JSON Schema.
export type {
  ArgAlias,
  ArgDefinition,
  ArgGroup,
  ArgKey,
  ArgKind,
  BenchmarkArgs,
  Device,
  Framework,
  TfjsBackendChoice,
  TrainStep,
} from './definitions.js';
export {
  ARG_DEFINITIONS,
  NOTED_HF_ARGS,
  UNSUPPORTED_HF_ARGS,
  aliasName,
  argDefinition,
  defaultArgs,
  kebabCase,
} from './definitions.js';
export type { ParseArgsResult } from './parse.js';
export { ROOT_PATH, acceptedArgNames, flagName, parseArgs } from './parse.js';
export { readArgsFile } from './file.js';
export { SHARD_PATTERN, formatShard, parseShard, type Shard } from './shard.js';
export type { HelpRow } from './help.js';
export { argsJsonSchema, defaultText, helpRows, kindText } from './help.js';
export type { InlineModelRef, ModelRef } from '../models/types.js';
