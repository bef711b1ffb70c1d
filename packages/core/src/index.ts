// @tfbench/core: everything a library user needs. Explicit named exports only.
export {
  ARG_DEFINITIONS,
  argDefinition,
  argsJsonSchema,
  defaultArgs,
  defaultText,
  helpRows,
  kebabCase,
  parseArgs,
  readArgsFile,
  type ArgDefinition,
  type ArgKey,
  type BenchmarkArgs,
  type Framework,
  type HelpRow,
  type TfjsBackendChoice,
  type ModelRef,
  type ParseArgsResult,
} from './args/index.js';
export { ArgsError, ModelError, TfbenchError, WeightsError, formatProblems, type Problem } from './errors.js';
export {
  AUTO_DTYPE,
  checkFits,
  checkModelsFit,
  hubCacheDir,
  listCachedModels,
  configDtype,
  listKnownModels,
  memoryCapacity,
  normaliseConfig,
  parameterCount,
  prefetchHubConfigs,
  readSafetensors,
  resolveModel,
  resolveModelOnline,
  resolveModels,
  resolveModelsOnline,
  type CachedModelInfo,
  type CachedModels,
  runDtype,
  type ConfigDtype,
  type DTypeChoice,
  type FitOptions,
  type HubEnv,
  type HubOptions,
  type HubSource,
  type KnownModelInfo,
  type MemoryCapacity,
  type ModelSpec,
  type ResolvedModel,
} from './models/index.js';
export { LIBTORCH_BACKEND, TFJS_BACKEND_ID, libtorchBackend, type Backend, type BackendFactory, type BackendInfo, type BackendLimits, type BackendModel, type BackendRef, type DType, DTYPES } from './backend/index.js';
export { backendFromRef, frameworkBackend } from './backend/resolve.js';
export { benchmark, resolveDevice, type BenchmarkOptions, type ProgressEvent } from './run/benchmark.js';
export {
  cellName,
  headlineMemoryBytes,
  RESULTS_SCHEMA_VERSION,
  type BenchmarkResults,
  type Cell,
  type CellRecord,
  type CellStatus,
  type CpuMemoryRecord,
  type GenerationRecord,
  type GpuMemoryRecord,
  type MergedFrom,
  type Mode,
  type ModuleRecord,
  type ResultsShard,
  type ResultsSink,
  type TimeRecord,
} from './report/results.js';
export { loadCheckpointWeights } from './run/weights.js';
export { RESUME_KEPT_STATUSES } from './run/resume.js';
export {
  checkCheckpoint,
  compareGeneratedIds,
  compareTensor,
  type CheckOptions,
  type CheckResult,
  type GenerationComparison,
  type IdDifference,
  type TensorComparison,
} from './run/check.js';
export { summarize, medianCiRanks, quantile, type SampleSummary } from './stats/summary.js';
export { collectEnvironment, detectBlas, environmentEntries, type EnvironmentInfo } from './env/index.js';
export { blasDescription, chooseThreads, threadRule, threadWarnings, type ThreadChoice, type ThreadProbe, type ThreadRule } from './env/threads.js';
export { formatRate, formatSeconds, renderBreakdowns, renderEnvironment, renderSection, renderSections, SECTION_TITLES, TABLE_FORMATS, type Section, type TableFormat } from './report/table.js';
export { readResultsJson, resultsToJson, writeResultsJson } from './report/json.js';
export { MERGE_IGNORED_ARGS, MergeError, describeShard, mergeResults, missingShards, runDisagreements, type MergeOptions } from './report/merge.js';
export { csvFiles, sectionCsvRows, writeCsvFiles } from './report/csv.js';
export { writeFileAtomic } from './report/atomic.js';
export { ResultsFiles, resultsJsonPath, type ResultsFilesOptions, type WriteFailure } from './report/files.js';
export { buildChart, renderLineChartSvg, renderReportHtml, type LineChart, type ReportOptions } from './report/html.js';
export { TOOL_VERSION } from './version.js';
export {
  compareResults,
  type CompareOptions,
  type CompareRow,
  type Comparison,
  type FigureRatio,
} from './report/compare.js';
export { medianRatio, verdictOf, type MedianRatio, type Verdict } from './stats/compare.js';
