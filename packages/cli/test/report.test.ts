// tfbench report end to end: write a results file, run the command as a user would, then render the page in
// headless Chromium and check in the screenshot's pixels that the charts drew.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { summarize, type BenchmarkResults, type CellRecord } from '@tfbench/core';
import { main } from '../src/main.js';
import { defaultReportPath } from '../src/commands/report.js';
import { cpuEnvironment } from '../../core/test/records.js';

const MIB = 1024 * 1024;

/** A cell as `tfbench run --json` writes it; time grows with the tokens in the batch, gpt2 twice bert's. */
function record(model: string, batchSize: number, sequenceLength: number): CellRecord {
  const perCall = (model === 'gpt2' ? 2e-4 : 1e-4) * batchSize * sequenceLength;
  const samples = [0.97, 1.0, 1.02, 0.99, 1.04, 1.0, 1.01, 0.98].map((f) => perCall * f);
  const oom = model === 'gpt2' && batchSize === 8 && sequenceLength === 512;
  return {
    model,
    batchSize,
    sequenceLength,
    mode: 'inference',
    status: oom ? 'oom' : 'ok',
    error: oom ? { code: 'OOM', message: 'DefaultCPUAllocator: not enough memory' } : null,
    device: 'cpu',
    dtype: 'float32',
    threads: 2,
    parameterCount: 124_439_808,
    timeSeconds: oom ? null : { ...summarize(samples), samples, warmup: [perCall * 1.5] },
    phasesSeconds: null,
    throughput: oom ? null : { samplesPerSecond: batchSize / perCall, tokensPerSecond: (batchSize * sequenceLength) / perCall },
    memory: oom ? null : { rssPeakBytes: (500 + batchSize * sequenceLength) * MIB, rssBeforeBytes: 500 * MIB, rssIncreaseBytes: batchSize * sequenceLength * MIB, tensorPeakBytes: null, tensorBeforeBytes: null, tensorIncreaseBytes: null },
    gpuMemory: null,
    hostSeconds: null,
    breakdown: null,
    buildSeconds: 0.5,
    efficiency: { flopsPerCall: 2e9 * batchSize * sequenceLength, tflopsPerSecond: 0.02, mfu: null, peakTflops: null, peakSource: null },
    warnings: [],
  };
}

const SEQUENCE_LENGTHS = [8, 32, 128, 512];

/** A results file in a fresh directory, removed when the test ends. */
function writeResults(t: TestContext): { dir: string; path: string } {
  const records = ['bert-base-uncased', 'gpt2'].flatMap((m) => [1, 8].flatMap((b) => SEQUENCE_LENGTHS.map((s) => record(m, b, s))));
  const results: BenchmarkResults = {
    schemaVersion: '1.0.0',
    tool: { name: 'tfbench', version: '0.1.0' },
    startedAt: '2025-03-01T10:00:00.000Z',
    finishedAt: '2025-03-01T10:05:00.000Z',
    interrupted: false,
    args: { models: ['bert-base-uncased', 'gpt2'], batchSizes: [1, 8], sequenceLengths: SEQUENCE_LENGTHS } as unknown as BenchmarkResults['args'],
    shard: null,
    environment: cpuEnvironment({ frameworkSource: 'system libtorch', osRelease: 'Debian GNU/Linux 12', date: '2025-03-01', time: '10:00:00Z' }),
    records,
  };
  const dir = mkdtempSync(join(tmpdir(), 'tfbench-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'results.json');
  writeFileSync(path, JSON.stringify(results, null, 2));
  return { dir, path };
}

async function tfbench(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTTY: false });
  return { code, stdout, stderr };
}

test('report writes one HTML page next to the results, or where -o says; bad input is exit 2', async (t) => {
  const { dir, path } = writeResults(t);
  const out = join(dir, 'pages', 'report.html');
  const r = await tfbench(['report', path, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `tfbench report: wrote ${out} (4 charts, 16 cells)\n`);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /gpt2<\/b> · batch 8 · seq 512: <span class="status status-oom">OOM<\/span> — DefaultCPUAllocator: not enough memory/);

  assert.equal(defaultReportPath('a/results.json'), 'a/results.html');
  assert.equal(defaultReportPath('a/results'), 'a/results.html');
  const byDefault = await tfbench(['report', path]);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.equal(readFileSync(join(dir, 'results.html'), 'utf8'), html);

  const missing = await tfbench(['report', join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read results file .*nope\.json/);
  writeFileSync(join(dir, 'junk.json'), '{"hello": 1}');
  const junk = await tfbench(['report', join(dir, 'junk.json')]);
  assert.equal(junk.code, 2);
  assert.match(junk.stderr, /not a tfbench results file/);
  assert.ok(!existsSync(join(dir, 'junk.html')), 'nothing is written for bad input');
  const overwrite = await tfbench(['report', path, '-o', path]);
  assert.equal(overwrite.code, 2);
  assert.match(overwrite.stderr, /is the results file itself/);
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).records.length, 16, 'the results are untouched');
  const unwritable = await tfbench(['report', path, '-o', dir]); // a directory, not a file
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write the report to .*: EISDIR/);
});

/** The first of Debian's Chromium binaries on PATH (chromium-headless-shell is the small one CI installs). */
function findChromium(): string | null {
  for (const name of ['chromium-headless-shell', 'chromium', 'chromium-browser']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

interface Image {
  width: number;
  height: number;
  /** RGB, 3 bytes a pixel, row by row. */
  rgb: Uint8Array;
}

/** A small PNG decoder, enough for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced. The IDAT
 * chunks together are one zlib stream of rows, each a filter byte (0–4) then the filtered bytes. */
export function decodePng(png: Buffer): Image {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = data.subarray(8, 13);
      assert.equal(bitDepth, 8, 'bit depth');
      assert.equal(interlace, 0, 'interlace');
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${colourType}: only RGB and RGBA are decoded`);
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length; // length, type, data, CRC
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? pixels[out + i - channels]! : 0;
      const up = y > 0 ? pixels[out - stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[out - stride + i - channels]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      } else assert.equal(filter, 0, `row ${y}: filter ${filter}`);
      pixels[out + i] = (row[i]! + predicted) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) rgb.set(pixels.subarray(p * channels, p * channels + 3), p * 3);
  return { width, height, rgb };
}

/** Columns in [x0, x1) holding at least one pixel within `tolerance` (per channel) of the colour: a line
 * drawn across a plot covers hundreds; a legend swatch covers 20. */
function columnsWithColour(image: Image, hex: string, x0: number, x1: number, tolerance = 24): number {
  const target = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let columns = 0;
  for (let x = x0; x < x1; x++) {
    for (let y = 0; y < image.height; y++) {
      const p = (y * image.width + x) * 3;
      if (Math.abs(image.rgb[p]! - target[0]!) <= tolerance && Math.abs(image.rgb[p + 1]! - target[1]!) <= tolerance && Math.abs(image.rgb[p + 2]! - target[2]!) <= tolerance) {
        columns++;
        break;
      }
    }
  }
  return columns;
}

test('the report rendered in headless Chromium shows the charts: every series drew a line across its plot', async (t) => {
  const chromium = findChromium();
  if (!chromium) {
    t.skip('chromium not installed: sh scripts/setup-system.sh installs it');
    return;
  }
  const { dir, path } = writeResults(t);
  const html = join(dir, 'report.html');
  assert.equal((await tfbench(['report', path, '-o', html])).code, 0);
  const screenshot = join(dir, 'report.png');
  const r = spawnSync(
    chromium,
    ['--headless', '--disable-gpu', '--no-sandbox', '--hide-scrollbars', `--user-data-dir=${join(dir, 'chromium-profile')}`, `--screenshot=${screenshot}`, '--window-size=1200,2400', pathToFileURL(html).href],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.ok(existsSync(screenshot), `no screenshot: exit ${r.status}\n${r.stderr}`);
  const image = decodePng(readFileSync(screenshot));
  assert.deepEqual([image.width, image.height], [1200, 2400]);

  // Two charts a row: against sequence length on the left, against batch size on the right. Each of the
  // first four series draws a line spanning its plot (8 → 512, or batch 1 → 8): far more columns of its
  // colour than the legend's 20-pixel swatch, in both halves of the page.
  const seriesColours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  const half = image.width / 2;
  for (const colour of seriesColours) {
    const left = columnsWithColour(image, colour, 0, half);
    const right = columnsWithColour(image, colour, half, image.width);
    assert.ok(left >= 200, `${colour}: ${left} columns in the charts against sequence length`);
    assert.ok(right >= 200, `${colour}: ${right} columns in the charts against batch size`);
  }
  // The plot frames and axis text drew too: dark grey pixels in both halves.
  assert.ok(columnsWithColour(image, '#444444', 0, half, 40) >= 300);
  assert.ok(columnsWithColour(image, '#444444', half, image.width, 40) >= 300);
});
