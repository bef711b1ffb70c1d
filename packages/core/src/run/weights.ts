// Filling a built model from a checkpoint's safetensors files: headers are parsed and names mapped here
// (knowledge), the bytes are copied by the backend (numbers).
import type { BackendModel } from '../backend/index.js';
import { WeightsError } from '../errors.js';
import { checkpointTensors, mapCheckpointToParameters, type CheckpointMapping } from '../models/index.js';

/** Loads every tensor of the weight files (a sharded checkpoint's from the shard its index names) that fills a
 * parameter; throws on shape mismatches. Returns the mapping so callers can report missing parameters (left
 * random) and unexpected tensors. */
export async function loadCheckpointWeights(model: BackendModel, files: readonly string[], family?: string): Promise<CheckpointMapping> {
  const tensors = checkpointTensors(files);
  const mapping = mapCheckpointToParameters(tensors, model.parameters(), family === undefined ? {} : { family });
  if (mapping.mismatched.length > 0) {
    throw new WeightsError(
      `the checkpoint does not fit the model:\n${mapping.mismatched.map((m) => `  ${m.tensor} → ${m.parameter}: ${m.message}`).join('\n')}`,
      'The config.json and the safetensors files must come from the same checkpoint.',
    );
  }
  // One shard at a time, each load awaited; here only headers were read (checkpointTensors), and the backend reads
  // each tensor's byte range through a host buffer of that tensor's size: the host never holds a whole shard (nor
  // the checkpoint), only the largest tensor (checkpoint-weights.test.ts loads a shard of twice the RAM).
  for (const file of new Set(tensors.map((t) => t.file!))) {
    const entries = mapping.entries.filter((e) => e.file === file);
    if (entries.length > 0) await model.loadWeights(file, entries);
  }
  return mapping;
}
