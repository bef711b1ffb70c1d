// From a BackendRef (what a cell job names) back to a Backend: the built-in one by id, any other by importing the
// module the ref names and calling its createBackend. A worker process does this, so that it measures with the
// backend the sweep was given, as the in-process path does.
import { TfbenchError } from '../errors.js';
import { libtorchBackend, LIBTORCH_BACKEND, type Backend, type BackendFactory, type BackendRef } from './index.js';

const BUILT_IN: Record<string, () => Backend> = { [LIBTORCH_BACKEND.id]: libtorchBackend };

/** Whether a worker process can build `ref`'s backend: a built-in id, or a module to import. */
export function canBuildInWorker(ref: BackendRef): boolean {
  return ref.module !== undefined || Object.hasOwn(BUILT_IN, ref.id);
}

/** A backend that cannot run isolated cells: said before anything runs rather than measured with another. */
export function notIsolatableError(ref: BackendRef): TfbenchError {
  return new TfbenchError(`backend "${ref.id}" cannot run cells in a worker process: its ref names no module to build it from`, {
    code: 'BAD_BACKEND',
    hint: 'Give the backend a ref.module whose createBackend(options) builds it, or run with isolate: false.',
  });
}

export async function backendFromRef(ref: BackendRef): Promise<Backend> {
  if (ref.module === undefined) {
    if (!canBuildInWorker(ref)) throw notIsolatableError(ref);
    return BUILT_IN[ref.id]!();
  }
  const exported = ((await import(ref.module)) as { createBackend?: unknown }).createBackend;
  if (typeof exported !== 'function') {
    throw new TfbenchError(`backend module ${ref.module} does not export a createBackend function`, { code: 'BAD_BACKEND', hint: 'Export createBackend(options) from the module the backend ref names.' });
  }
  const backend = await (exported as BackendFactory)(ref.options);
  if (backend.ref.id !== ref.id) {
    throw new TfbenchError(`backend module ${ref.module} built backend "${backend.ref.id}", not "${ref.id}"`, { code: 'BAD_BACKEND', hint: 'Make createBackend return the backend the ref names.' });
  }
  return backend;
}
