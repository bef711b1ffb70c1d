// A model built in TensorFlow.js from a ModelSpec: one tf.Variable per parameter of the family's parameterShapes
// (Hugging Face's names and shapes, as the libtorch models register them), seeded random weights or a checkpoint's,
// and the BackendModel calls: run (outputs, loss, gradients), timed blocks of cell calls, the memory-measured call.
// An optimizer step is AdamW's, as libtorch's. Generation and the per-module breakdown are not implemented here (BackendLimits says so; benchmark() skips or
// refuses what needs them).
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { parameterShapes, readFloatTensor, type ModelSpec, type ParameterShape } from '../../models/index.js';
import type { BackendModel, BuildOptions, CallTimes, CellCallOptions, HostTensor, MemoryPeaks, RunCallsOptions, RunOptions, WeightEntry } from '../index.js';
import type { TfjsFamily } from './families.js';
import type { ForwardContext, TfInputs, TfOutputs } from './layers.js';
import type { Tf } from './load.js';
import { readRss, resetPeakRss } from './process-memory.js';
import { mulberry32 } from '../../stats/random.js';

/** An error with the stable code the addon's errors carry (isolate.ts classifies cells by it). */
function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** `count` normal(0, std) values (Box–Muller), seeded: fast enough for a billion parameters, unlike tf.randomNormal's
 * per-element generator. */
function normals(count: number, std: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * std;
    const angle = 2 * Math.PI * next();
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

/** Hugging Face's initialisation by what a parameter is: matrices (Linear, Conv1D, Embedding) normal(0,
 * initializer_range) with an embedding's padding row at zero, vectors named weight (LayerNorm, RMSNorm scales) one,
 * biases zero. */
function initialValues(p: ParameterShape, std: number, seed: number, paddingRow: number | undefined): Float32Array {
  const count = p.shape.reduce((a, b) => a * b, 1);
  if (p.shape.length >= 2) {
    const values = normals(count, std, seed);
    if (paddingRow !== undefined) values.fill(0, paddingRow * p.shape[1]!, (paddingRow + 1) * p.shape[1]!);
    return values;
  }
  return new Float32Array(count).fill(p.name.endsWith('.bias') ? 0 : 1);
}

/** int64 ids from the host as the int32 tensor TensorFlow.js indexes with. */
function idsTensor(tf: Tf, t: HostTensor, name: string): Tensor2D {
  if (t.dtype !== 'int64' || t.shape.length !== 2) throw coded('BAD_INPUT', `${name} must be an int64 (batch, sequence) tensor, got ${t.dtype} [${t.shape}]`);
  return tf.tensor2d(Int32Array.from(t.data as BigInt64Array, Number), t.shape as [number, number], 'int32');
}

async function toHost(t: Tensor): Promise<HostTensor> {
  return { dtype: 'float32', shape: [...t.shape], data: new Float32Array(await t.data<'float32'>()) };
}

/** Seeds the cell's input ids, uniform in [0, vocab). */
function seededIds(count: number, vocab: number, seed: number): Int32Array {
  const next = mulberry32(seed ^ 0x5eed);
  return Int32Array.from({ length: count }, () => Math.floor(next() * vocab));
}

export class TfjsModel implements BackendModel {
  readonly #tf: Tf;
  readonly #spec: ModelSpec;
  readonly #family: TfjsFamily;
  readonly #shapes: ParameterShape[];
  /** Hugging Face name → variable: a Linear weight transposed, (in, out) (`#transposed`), the others as named. */
  readonly #variables = new Map<string, Variable>();
  readonly #transposed = new Set<string>();
  /** The seeded input ids of the last cell shape asked for, kept so that every block runs on the same ones. */
  #cellInputs: { key: string; ids: Tensor2D } | null = null;
  /** Makes the model's TensorFlow.js backend the current one (LoadedTfjs.activate); awaited by every call. */
  readonly #activate: () => Promise<void>;
  /** AdamW's state, made on the first optimizer step and kept with the model, as a training loop keeps it. */
  #adamw: { step: number; moments: Map<string, { m: Variable; v: Variable }> } | null = null;

  constructor(tf: Tf, spec: ModelSpec, family: TfjsFamily, options: BuildOptions, activate: () => Promise<void>) {
    this.#tf = tf;
    this.#activate = activate;
    this.#spec = spec;
    this.#family = family;
    this.#shapes = parameterShapes(spec);
    const paddingRows = family.paddingRows(spec);
    const std = 'initializer_range' in spec ? spec.initializer_range : 0.02;
    this.#shapes.forEach((p, i) => {
      const values = initialValues(p, std, options.seed * 7919 + i, paddingRows[p.name]);
      // Random values need no transposing: only the stored shape differs.
      const transposed = family.storedTransposed(spec as never, p.name, p.shape);
      if (transposed) this.#transposed.add(p.name);
      const initial = tf.tensor(values, transposed ? [p.shape[1]!, p.shape[0]!] : p.shape, 'float32');
      this.#variables.set(p.name, tf.variable(initial, true)); // shares initial's data
      initial.dispose();
    });
  }

  parameters() {
    return this.#shapes.map((p) => ({ name: p.name, shape: [...p.shape], dtype: 'float32' as const }));
  }

  parameterCount(): number {
    return this.#shapes.reduce((total, p) => total + p.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** A parameter's values, in its Hugging Face layout. */
  async readParameter(name: string): Promise<HostTensor> {
    await this.#activate();
    const v = this.#variable(name);
    const t = this.#transposed.has(name) ? this.#tf.transpose(v) : v;
    const host = await toHost(t);
    if (t !== v) t.dispose();
    return host;
  }

  #variable(name: string): Variable {
    const v = this.#variables.get(name);
    if (!v) throw coded('BAD_INPUT', `the model has no parameter ${JSON.stringify(name)}`);
    return v;
  }

  /** Reads each entry's byte range into its parameter (converted to float32, a Linear weight transposed to its
   * stored layout); shapes must match the Hugging Face ones. */
  async loadWeights(file: string, entries: WeightEntry[]): Promise<void> {
    await this.#activate();
    const tf = this.#tf;
    for (const entry of entries) {
      const v = this.#variable(entry.parameter);
      const shape = this.#shapes.find((p) => p.name === entry.parameter)!.shape;
      if (entry.shape.join(',') !== shape.join(',')) {
        throw coded('BAD_WEIGHTS', `${file}: ${entry.parameter} has shape [${entry.shape}] in the checkpoint, [${shape}] in the model`);
      }
      const values = readFloatTensor(file, { name: entry.parameter, ...entry });
      tf.tidy(() => {
        const t = tf.tensor(values, entry.shape, 'float32');
        v.assign(this.#transposed.has(entry.parameter) ? tf.transpose(t) : t);
      });
    }
  }

  #context(train: boolean): ForwardContext<ModelSpec> {
    return { tf: this.#tf, spec: this.#spec, p: (name) => this.#variable(name), train };
  }

  #forward(inputs: TfInputs, train: boolean): TfOutputs {
    return (this.#family.forward as (ctx: ForwardContext<ModelSpec>, i: TfInputs) => TfOutputs)(this.#context(train), inputs);
  }

  #loss(inputs: TfInputs, train: boolean): Tensor {
    const ctx = this.#context(train);
    return (this.#family.loss as TfjsFamily['loss'])(ctx, this.#forward(inputs, train), inputs.inputIds);
  }

  /** The loss and the gradients of `names`; a parameter the loss does not reach gets zeros. `onForward` runs once
   * the loss is computed, before the backward pass. */
  #lossAndGradients(inputs: TfInputs, train: boolean, names: readonly string[], onForward?: (loss: Tensor) => void) {
    const tf = this.#tf;
    if (names.length === 0) {
      // The loss alone (run's loss without gradients): variableGrads refuses an empty list of variables.
      const loss = tf.tidy(() => this.#loss(inputs, train));
      onForward?.(loss);
      return { loss, gradients: [] as Tensor[] };
    }
    const variables = names.map((n) => this.#variable(n));
    const { value, grads } = tf.variableGrads(() => {
      const loss = this.#loss(inputs, train) as ReturnType<typeof tf.scalar>;
      onForward?.(loss);
      return loss;
    }, variables);
    return { loss: value, gradients: variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
  }

  async run(inputs: Record<string, HostTensor>, options: RunOptions = {}): Promise<Record<string, HostTensor>> {
    const tf = this.#tf;
    if (!inputs.input_ids) throw coded('BAD_INPUT', 'input_ids is required');
    await this.#activate();
    const wanted = options.gradients ?? [];
    if (wanted.length > 0 && !options.loss) throw coded('BAD_INPUT', 'gradients need loss: true');
    for (const name of wanted) this.#variable(name);
    const tfInputs: TfInputs = { inputIds: idsTensor(tf, inputs.input_ids, 'input_ids') };
    if (inputs.attention_mask) tfInputs.attentionMask = idsTensor(tf, inputs.attention_mask, 'attention_mask');
    if (inputs.token_type_ids) tfInputs.tokenTypeIds = idsTensor(tf, inputs.token_type_ids, 'token_type_ids');
    if (inputs.decoder_input_ids) tfInputs.decoderInputIds = idsTensor(tf, inputs.decoder_input_ids, 'decoder_input_ids');
    const train = options.train ?? false;
    const result: Record<string, HostTensor> = {};
    try {
      if (!options.loss) {
        const outputs = tf.tidy(() => this.#forward(tfInputs, train) as unknown as Record<string, Tensor>);
        for (const [name, t] of Object.entries(outputs)) {
          result[name] = await toHost(t);
          t.dispose();
        }
        return result;
      }
      const { loss, gradients } = this.#lossAndGradients(tfInputs, train, wanted);
      result.loss = await toHost(loss);
      loss.dispose();
      for (const [i, g] of gradients.entries()) {
        // In the parameter's Hugging Face layout.
        const hf = this.#transposed.has(wanted[i]!) ? tf.transpose(g) : g;
        result[`grad.${wanted[i]}`] = await toHost(hf);
        g.dispose();
        hf.dispose();
      }
      return result;
    } finally {
      for (const t of Object.values(tfInputs)) (t as Tensor).dispose();
    }
  }

  /** The cell's seeded ids (B, T), made once per shape and seed, before any timing. */
  #idsFor(o: CellCallOptions): Tensor2D {
    const key = `${o.batchSize}x${o.sequenceLength}@${o.seed}`;
    if (this.#cellInputs?.key !== key) {
      this.#cellInputs?.ids.dispose();
      const vocab = this.#spec.vocab_size;
      const ids = this.#tf.tensor2d(seededIds(o.batchSize * o.sequenceLength, vocab, o.seed), [o.batchSize, o.sequenceLength], 'int32');
      this.#cellInputs = { key, ids };
    }
    return this.#cellInputs.ids;
  }

  /** Waits for `t` to be computed by reading one element of it: a lazy backend has to finish it first, and no
   * large copy to the host is timed. */
  #settle(t: Tensor): void {
    const tf = this.#tf;
    if (t.rank === 0) t.dataSync();
    else tf.tidy(() => tf.slice(t, new Array(t.rank).fill(0), new Array(t.rank).fill(1)).dataSync());
  }

  /**
   * One AdamW step over every parameter, as torch.optim.AdamW with the libtorch backend's settings (torch's defaults
   * but lr 5e-5, Hugging Face Trainer's): p ← p·(1 − lr·wd) − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε), with
   * m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g². Ends by reading one element of the last parameter, as a call does.
   */
  #adamwStep(names: readonly string[], gradients: readonly Tensor[]): void {
    const tf = this.#tf;
    const [lr, beta1, beta2, eps, weightDecay] = [5e-5, 0.9, 0.999, 1e-8, 1e-2];
    this.#adamw ??= { step: 0, moments: new Map() };
    const state = this.#adamw;
    state.step++;
    const correction1 = 1 - beta1 ** state.step;
    const sqrtCorrection2 = Math.sqrt(1 - beta2 ** state.step);
    names.forEach((name, i) => {
      const p = this.#variable(name);
      const g = gradients[i]!;
      let moments = state.moments.get(name);
      if (!moments) {
        const zeros = () => {
          const initial = tf.zerosLike(p);
          const variable = tf.variable(initial, false); // shares initial's data until its first assign
          initial.dispose();
          return variable;
        };
        moments = { m: zeros(), v: zeros() };
        state.moments.set(name, moments);
      }
      const { m, v } = moments;
      tf.tidy(() => {
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denominator = tf.add(tf.div(tf.sqrt(v), sqrtCorrection2), eps);
        p.assign(tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.mul(tf.div(m, denominator), lr / correction1)));
      });
    });
    this.#settle(this.#variable(names[names.length - 1]!));
  }

  /** One call of a cell; its seconds (and, in training, its forward, backward and optimizer phases). */
  #call(o: CellCallOptions): { seconds: number; forward?: number; backward?: number; optimizer?: number } {
    const tf = this.#tf;
    const inputs: TfInputs = { inputIds: this.#idsFor(o) };
    if (o.mode === 'inference') {
      const start = performance.now();
      // Eval mode, no tape: the head's output (logits, else the last hidden state) is what the call returns.
      const out = tf.tidy(() => {
        const outputs = this.#forward(inputs, false);
        return outputs.logits ?? outputs.last_hidden_state;
      });
      this.#settle(out);
      const seconds = (performance.now() - start) / 1000;
      out.dispose();
      return { seconds };
    }
    // Train mode: forward with labels = input_ids, backward to every parameter's gradient (and with trainStep
    // "optimizer" an AdamW step); gradients are dropped after the call (outside its time), so every call starts
    // without any.
    const start = performance.now();
    let forwardEnd = start;
    const names = this.#shapes.map((p) => p.name);
    const { loss, gradients } = this.#lossAndGradients(inputs, true, names, (l) => {
      this.#settle(l);
      forwardEnd = performance.now();
    });
    for (const g of gradients) this.#settle(g);
    const backwardEnd = performance.now();
    let end = backwardEnd;
    if (o.trainStep === 'optimizer') {
      this.#adamwStep(names, gradients);
      end = performance.now();
    }
    loss.dispose();
    for (const g of gradients) g.dispose();
    const seconds = (end - start) / 1000;
    return { seconds, forward: (forwardEnd - start) / 1000, backward: (backwardEnd - forwardEnd) / 1000, optimizer: o.trainStep === 'optimizer' ? (end - backwardEnd) / 1000 : undefined };
  }

  async runCalls(options: RunCallsOptions): Promise<CallTimes> {
    await this.#activate();
    const seconds: number[] = [];
    const phases = { forward: [] as number[], backward: [] as number[], optimizer: [] as number[] };
    for (let i = 0; i < options.calls; i++) {
      const call = this.#call(options);
      seconds.push(call.seconds);
      if (call.forward !== undefined) {
        phases.forward.push(call.forward);
        phases.backward.push(call.backward!);
        if (call.optimizer !== undefined) phases.optimizer.push(call.optimizer);
      }
    }
    return { seconds, hostSeconds: null, phasesSeconds: options.mode === 'training' ? phases : null };
  }

  /** One call with the process's peak resident size measured (reset right before it) and the bytes TensorFlow.js's
   * tensors held before it and at their peak (tf.profile: the most held after any kernel of the call, weights
   * included; its per-kernel records add well under a MiB to the RSS). memory null where Linux's /proc cannot
   * give the RSS. */
  async measureMemory(options: CellCallOptions): Promise<MemoryPeaks> {
    await this.#activate();
    this.#idsFor(options); // made before the measured call, as the timed calls have them
    const reset = resetPeakRss();
    const before = readRss();
    const tensorBeforeBytes = this.#tf.memory().numBytes;
    const profile = await this.#tf.profile(() => {
      this.#call(options);
    });
    const after = readRss();
    if (!reset || before === null || after === null) return { memory: null, cudaMemory: null };
    return {
      memory: {
        rssBeforeBytes: before.rss,
        rssPeakBytes: Math.max(after.peak, before.rss),
        tensorBeforeBytes,
        // peakBytes: the most held after any of the call's kernels
        tensorPeakBytes: Math.max(profile.peakBytes, tensorBeforeBytes),
      },
      cudaMemory: null,
    };
  }

  async measureBreakdown(): Promise<never> {
    throw coded('BAD_INPUT', 'the tfjs backend has no per-module breakdown');
  }

  async generate(): Promise<never> {
    throw coded('BAD_INPUT', 'the tfjs backend does not generate (no KV-cache decoding yet)');
  }

  async runGenerateCalls(): Promise<never> {
    throw coded('BAD_INPUT', 'the tfjs backend does not generate (no KV-cache decoding yet)');
  }

  async measureGenerateMemory(): Promise<never> {
    throw coded('BAD_INPUT', 'the tfjs backend does not generate (no KV-cache decoding yet)');
  }

  /** Frees every tensor of the model. */
  dispose(): void {
    for (const v of this.#variables.values()) v.dispose();
    this.#variables.clear();
    this.#cellInputs?.ids.dispose();
    this.#cellInputs = null;
    for (const { m, v } of this.#adamw?.moments.values() ?? []) {
      m.dispose();
      v.dispose();
    }
    this.#adamw = null;
  }
}
