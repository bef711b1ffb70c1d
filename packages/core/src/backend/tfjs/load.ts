// Loading TensorFlow.js and one of its backends, on first use only (a libtorch run never gets here).
// - node: @tensorflow/tfjs-node, an optional peer that tfbench never installs (its install downloads libtensorflow
//   from Google's storage); used when the user has installed it and it loads. It brings its own tfjs-core, so its
//   module is the `tf` namespace used.
// - wasm: @tensorflow/tfjs-backend-wasm, whose .wasm files ship inside the npm package (XNNPACK kernels; in Node
//   single-threaded).
// - cpu: @tensorflow/tfjs-backend-cpu, plain JavaScript: slow, but every kernel.
// TensorFlow.js itself comes as @tensorflow/tfjs, whose Node bundle registers every op's gradient (tfjs-core's own
// Node bundle registers none) and the cpu backend; the wasm backend registers itself on the same engine.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { TfbenchError } from '../../errors.js';

export type Tf = typeof import('@tensorflow/tfjs-core');
export type TfjsBackendName = 'node' | 'wasm' | 'cpu';
export type TfjsBackendChoice = 'auto' | TfjsBackendName;

/** The order "auto" tries them in: fastest first. */
export const AUTO_ORDER: readonly TfjsBackendName[] = ['node', 'wasm', 'cpu'];

/** Each backend's npm package (and the package that depends on it, when not core itself), and the name TensorFlow.js
 * registers it under. */
const PACKAGES: Readonly<Record<TfjsBackendName, { pkg: string; via?: string; registered: string }>> = {
  node: { pkg: '@tensorflow/tfjs-node', registered: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', registered: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', via: '@tensorflow/tfjs', registered: 'cpu' },
};

export interface LoadedTfjs {
  tf: Tf;
  backend: TfjsBackendName;
  /** The backend's package and version: "@tensorflow/tfjs-backend-wasm 4.22.0". */
  packageText: string;
  /** tfjs-core's version. */
  coreVersion: string;
  /** Why the backends tried before it did not load (auto), in order; empty when the first one did. */
  skipped: string[];
  /** Makes this backend TensorFlow.js's current one again (its backend is global to the process: another tfjs
   * backend loaded since, in tests, would otherwise run this one's models). */
  activate: () => Promise<void>;
}

const require = createRequire(import.meta.url);

function packageVersion(pkg: string, via?: string): string {
  try {
    const from = via === undefined ? require : createRequire(require.resolve(via));
    return (from(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Production mode: TensorFlow.js's console warnings off (the cpu backend's advice to install tfjs-node, printed on
 * its first tensor; tfbench says which backend runs in the environment block instead). Its only effect in tfjs-core
 * 4.22 (IS_TEST would also check every kernel for leaks). */
function productionMode(tf: Tf): void {
  tf.env().set('PROD', true);
}

async function loadOne(name: TfjsBackendName): Promise<Tf> {
  if (name === 'node') {
    // Not a dependency: a specifier in a variable keeps bundlers and the compiler from resolving it.
    const specifier = PACKAGES.node.pkg;
    const module = (await import(specifier)) as Tf & { default?: Tf };
    const tf = (module.default ?? module) as Tf;
    if (!(await tf.setBackend(PACKAGES.node.registered))) throw new Error('tf.setBackend("tensorflow") returned false');
    return tf;
  }
  const module = (await import('@tensorflow/tfjs')) as unknown as Tf & { default?: Tf };
  const tf = (module.default ?? module) as Tf;
  productionMode(tf);
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm files sit beside the package's main file (dist/); said explicitly, as Node has no page URL to
    // resolve them against.
    wasm.setWasmPaths(`${dirname(require.resolve(PACKAGES.wasm.pkg))}/`);
  }
  if (!(await tf.setBackend(PACKAGES[name].registered))) throw new Error(`tf.setBackend("${PACKAGES[name].registered}") returned false`);
  await tf.ready();
  return tf;
}

/** Loads TensorFlow.js with `choice`'s backend (auto: the first of AUTO_ORDER that loads). Throws a TfbenchError
 * (NO_TFJS) naming the package and how to get it when the backend asked for cannot load. */
export async function loadTfjs(choice: TfjsBackendChoice): Promise<LoadedTfjs> {
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const tf = await loadOne(name);
      const { pkg, via, registered } = PACKAGES[name];
      const activate = async () => {
        if (tf.getBackend() !== registered) await tf.setBackend(registered);
      };
      return { tf, backend: name, packageText: `${pkg} ${packageVersion(pkg, via)}`, coreVersion: tf.version_core, skipped, activate };
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      skipped.push(`${name}: ${message}`);
    }
  }
  const hint =
    choice === 'node'
      ? 'tfbench never installs @tensorflow/tfjs-node (its install downloads libtensorflow from Google storage): install it yourself where that works, or use --tfjs-backend wasm or cpu.'
      : 'Reinstall @tfbench/core: @tensorflow/tfjs-core, -backend-wasm and -backend-cpu are its dependencies.';
  throw new TfbenchError(`TensorFlow.js backend "${choice}" could not be loaded (${skipped.join('; ')})`, { code: 'NO_TFJS', hint });
}
