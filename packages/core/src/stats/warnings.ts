// What a reader should know about a time measurement's reliability, as sentences attached to its record
// rather than printed: too few samples for a 95% interval, a CI target missed, high spread, a change of speed.
import { levelShift, type SampleSummary } from './summary.js';

/** The warnings of one time measurement. `time.samples`: in the order taken; `targetRelCi`: the CI half-width
 * asked for, as a fraction of the median (0: none). */
export function timeWarnings(time: SampleSummary & { samples: readonly number[] }, targetRelCi: number): string[] {
  const warnings: string[] = [];
  const pct = (x: number) => `${x >= 0.001 ? (100 * x).toFixed(1) : (100 * x).toPrecision(1)}%`; // 1.0%, 0.05%
  if (time.ciLevel < 0.95) {
    warnings.push(`only ${time.count} samples: [min, max] bounds the median with ${pct(time.ciLevel)} confidence, not 95%`);
  }
  if (targetRelCi > 0 && time.relCiHalfWidth > targetRelCi) {
    warnings.push(`the median's 95% CI is ±${pct(time.relCiHalfWidth)}, wider than the ±${pct(targetRelCi)} asked, when maxTimeS ran out`);
  }
  if (time.median > 0 && time.stdev / time.median > 0.1) {
    warnings.push(`high spread: the standard deviation is ${pct(time.stdev / time.median)} of the median (other load on the machine?)`);
  }
  const shift = levelShift(time.samples);
  if (shift) {
    const s = (x: number) => x.toPrecision(4);
    warnings.push(
      `the speed changed during the measurement: the median of the first ${shift.first.count} calls is ${s(shift.first.median)} s, ` +
        `of the last ${shift.second.count} ${s(shift.second.median)} s (${shift.relChange >= 0 ? '+' : '-'}${pct(Math.abs(shift.relChange))}; ` +
        `their 95% CIs do not overlap), so the CI assumes a steadiness the machine did not have (other load, or a VM's varying memory bandwidth?)`,
    );
  }
  return warnings;
}
