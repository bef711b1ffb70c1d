// From a BackendRef (what a cell job names) back to a Backend: a built-in one by id, any other by importing the
// module the ref names and calling its createBackend. A worker process does this, so that it measures with the
// backend the sweep was given, as the in-process path does.
import type { Framework, TfjsBackendChoice } from '../args/definitions.js';
import { TfbenchError } from '../errors.js';
import { libtorchBackend, LIBTORCH_BACKEND, TFJS_BACKEND_ID, type Backend, type BackendFactory, type BackendRef } from './index.js';

const BUILT_IN: Record<string, BackendFactory> = {
  [LIBTORCH_BACKEND.id]: () => libtorchBackend(),
  // Imported only when asked for: a libtorch run never loads TensorFlow.js.
  [TFJS_BACKEND_ID]: async (options) => (await import('./tfjs/index.js')).createBackend(options),
};

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

/** The built-in backend of args' framework (and, for tfjs, its tfjsBackend; "auto" is resolved here, and the
 * backend's ref names the one chosen, so that workers build that one). */
export async function frameworkBackend(framework: Framework, tfjsBackend: TfjsBackendChoice = 'auto'): Promise<Backend> {
  return framework === 'tfjs' ? backendFromRef({ id: TFJS_BACKEND_ID, options: { backend: tfjsBackend } }) : libtorchBackend();
}

export async function backendFromRef(ref: BackendRef): Promise<Backend> {
  let backend: Backend;
  if (ref.module === undefined) {
    if (!canBuildInWorker(ref)) throw notIsolatableError(ref);
    backend = await BUILT_IN[ref.id]!(ref.options);
  } else {
    const exported = ((await import(ref.module)) as { createBackend?: unknown }).createBackend;
    if (typeof exported !== 'function') {
      throw new TfbenchError(`backend module ${ref.module} does not export a createBackend function`, { code: 'BAD_BACKEND', hint: 'Export createBackend(options) from the module the backend ref names.' });
    }
    backend = await (exported as BackendFactory)(ref.options);
  }
  if (backend.ref.id !== ref.id) {
    throw new TfbenchError(`backend module ${ref.module ?? ref.id} built backend "${backend.ref.id}", not "${ref.id}"`, { code: 'BAD_BACKEND', hint: 'Make createBackend return the backend the ref names.' });
  }
  return backend;
}
