// This process's resident set size and its peak, as the libtorch addon reads them (native/src/measure): VmRSS and
// VmHWM from /proc/self/status, the peak reset to the current size by writing 5 to /proc/self/clear_refs (Linux
// 4.0+). Elsewhere, or where the reset is refused, there is no peak to read: null.
import { readFileSync, writeFileSync } from 'node:fs';

function statusField(text: string, field: 'VmRSS' | 'VmHWM'): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/** Resets the peak to the current resident size; false where that cannot be done. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** { rss, peak } in bytes, or null where /proc/self/status cannot say. */
export function readRss(): { rss: number; peak: number } | null {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const rss = statusField(text, 'VmRSS');
    const peak = statusField(text, 'VmHWM');
    return rss === null || peak === null ? null : { rss, peak };
  } catch {
    return null;
  }
}
