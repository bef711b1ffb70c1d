// The HTML report on made-up records: which charts, how many series, which axes are log, what is escaped,
// which cells are listed as not plotted. No addon needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseXScale, chooseYScale, formatTick, renderLineChartSvg, SERIES_COLOURS } from '../src/report/chart.js';
import { buildChart, renderReportHtml } from '../src/report/html.js';
import type { BenchmarkResults, CellRecord } from '../src/report/results.js';
import { summarize } from '../src/stats/summary.js';
import { cellRecord, cpuEnvironment } from './records.js';

const MIB = 1024 * 1024;

function record(over: Partial<CellRecord> & Pick<CellRecord, 'model' | 'batchSize' | 'sequenceLength'>): CellRecord {
  // Time grows with the tokens in the batch (a second model half as fast); a little spread so the median has
  // an interval.
  const base = (over.model.startsWith('gpt') ? 2e-4 : 1e-4) * over.batchSize * over.sequenceLength;
  const samples = [0.98, 1.0, 1.01, 0.99, 1.02, 1.0, 1.03].map((f) => base * f);
  return cellRecord({
    parameterCount: 1000,
    timeSeconds: { ...summarize(samples), samples, warmup: [] },
    throughput: { samplesPerSecond: over.batchSize / base, tokensPerSecond: (over.batchSize * over.sequenceLength) / base },
    memory: { rssPeakBytes: (400 + over.batchSize * over.sequenceLength) * MIB, rssBeforeBytes: 400 * MIB, rssIncreaseBytes: over.batchSize * over.sequenceLength * MIB, tensorPeakBytes: null, tensorBeforeBytes: null, tensorIncreaseBytes: null },
    buildSeconds: 0.1,
    efficiency: { flopsPerCall: 1e9, tflopsPerSecond: 0.5, mfu: null, peakTflops: null, peakSource: null },
    ...over,
  });
}

function results(records: CellRecord[]): BenchmarkResults {
  return {
    schemaVersion: '1.0.0',
    tool: { name: 'tfbench', version: '0.1.0' },
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    interrupted: false,
    args: {} as BenchmarkResults['args'],
    shard: null,
    environment: cpuEnvironment({ cpuModel: 'Test CPU <fast> & "cheap"' }),
    records,
  };
}

/** Two models × batch 1, 8 × seq 8, 32, 128, 512; the last cell of the second model is out of memory. */
function grid(): CellRecord[] {
  const records: CellRecord[] = [];
  for (const model of ['bert-base-uncased', 'gpt<2> & "co"']) {
    for (const batchSize of [1, 8]) {
      for (const sequenceLength of [8, 32, 128, 512]) {
        const oom = model.startsWith('gpt') && batchSize === 8 && sequenceLength === 512;
        records.push(
          oom
            ? record({ model, batchSize, sequenceLength, status: 'oom', error: { code: 'OOM', message: 'cannot allocate 4 GiB <here>' }, timeSeconds: null, memory: null, throughput: null })
            : record({ model, batchSize, sequenceLength }),
        );
      }
    }
  }
  return records;
}

/** Each <svg class="chart"> of a page with the attributes the chart writes about itself. */
function charts(html: string) {
  return [...html.matchAll(/<svg class="chart"[^>]*?(?: data-x-scale="(\w+)" data-y-scale="(\w+)" data-series-count="(\d+)")?>[\s\S]*?<\/svg>/g)].map((m) => ({
    xScale: m[1],
    yScale: m[2],
    seriesCount: Number(m[3]),
    title: /<text class="chart-title"[^>]*>([^<]*)</.exec(m[0])?.[1],
    lines: (m[0].match(/class="series-line"/g) ?? []).length,
    markers: (m[0].match(/class="marker"/g) ?? []).length,
    whiskers: (m[0].match(/class="whisker"/g) ?? []).length,
    svg: m[0],
  }));
}

test('scales: log2 x once values span 4×, log10 y past 10×, linear otherwise', () => {
  assert.equal(chooseXScale([8, 32, 128, 512]), 'log2');
  assert.equal(chooseXScale([1, 4]), 'log2');
  assert.equal(chooseXScale([1, 2, 3]), 'linear');
  assert.equal(chooseYScale([0.01, 0.2]), 'log10');
  assert.equal(chooseYScale([10, 100]), 'linear'); // exactly 10×: a linear axis still shows it well
  assert.equal(chooseYScale([0, 500]), 'linear'); // zero has no place on a log axis
  assert.deepEqual([0.002, 0.25, 1, 12.5, 1500, 123456].map(formatTick), ['0.002', '0.25', '1', '12.5', '1,500', '123,500']);
});

test('inference on a 2-model, 2-batch, 4-seq grid: four charts with the right series, axes and whiskers', () => {
  const html = renderReportHtml(results(grid()));
  const drawn = charts(html);
  assert.deepEqual(
    drawn.map((c) => c.title),
    ['Inference time vs sequence length', 'Inference time vs batch size', 'Inference memory vs sequence length', 'Inference memory vs batch size'],
  );
  const [timeVsSeq, timeVsBatch, memoryVsSeq, memoryVsBatch] = drawn;
  // Against sequence length: one series per model × batch (2 × 2), each a line through its 4 (or 3) points.
  assert.equal(timeVsSeq!.seriesCount, 4);
  assert.equal(timeVsSeq!.lines, 4);
  assert.equal(timeVsSeq!.markers, 15); // 16 cells, one OOM
  assert.equal(timeVsSeq!.whiskers, 15);
  // 8 … 512 spans 64×: log2; times span 1e-4 × (1·8) … 1e-4 × (8·512), 512×: log10.
  assert.equal(timeVsSeq!.xScale, 'log2');
  assert.equal(timeVsSeq!.yScale, 'log10');
  // Against batch size: one series per model × sequence length (2 × 4); batch 1 → 8 is 8×, log2 too.
  assert.equal(timeVsBatch!.seriesCount, 8);
  assert.equal(timeVsBatch!.lines, 7); // gpt's seq-512 series has only batch 1 left: a marker, no line
  assert.equal(timeVsBatch!.xScale, 'log2');
  // Memory: 400 + b·s MiB, from 408 to 4496 MiB: 11×, log10; no whiskers.
  assert.equal(memoryVsSeq!.yScale, 'log10');
  assert.equal(memoryVsSeq!.whiskers, 0);
  assert.equal(memoryVsSeq!.markers, 15);
  assert.equal(memoryVsBatch!.seriesCount, 8);
  assert.match(memoryVsSeq!.svg, /Peak resident memory \(MiB\) \(log scale\)/);
  assert.match(timeVsSeq!.svg, /Median time per call \(ms\) \(log scale\)/); // the largest median is 409.6 ms
  assert.match(timeVsSeq!.svg, /Sequence length \(log₂ scale\)/);
  // The x ticks are the grid's own values.
  for (const tick of ['8', '32', '128', '512']) assert.match(timeVsSeq!.svg, new RegExp(`<text class="tick"[^>]*text-anchor="middle">${tick}</text>`));
  // One colour per series, the first series in the first colour.
  const colours = [...timeVsSeq!.svg.matchAll(/<g class="series" data-series="\d+" data-label="[^"]*" stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.deepEqual(colours, SERIES_COLOURS.slice(0, 4));
});

test('the series of time vs sequence length are model × batch, in the order of the file', () => {
  const chart = buildChart(grid(), 'inference', 'time', 'sequenceLength');
  assert.deepEqual(
    chart.series.map((s) => [s.label, s.points.map((p) => p.x)]),
    [
      ['bert-base-uncased · batch 1', [8, 32, 128, 512]],
      ['bert-base-uncased · batch 8', [8, 32, 128, 512]],
      ['gpt<2> & "co" · batch 1', [8, 32, 128, 512]],
      ['gpt<2> & "co" · batch 8', [8, 32, 128]],
    ],
  );
  // Values in ms: batch 8 × seq 128 × 1e-4 s = 102.4 ms median, its interval around it.
  const p = chart.series[1]!.points[2]!;
  assert.ok(Math.abs(p.y - 102.4) < 1e-9, `median ${p.y}`);
  assert.ok(p.low! < p.y && p.y < p.high!, `CI [${p.low}, ${p.high}]`);
});

test('text from the results is escaped everywhere; failed cells are listed with their status and message', () => {
  const html = renderReportHtml(results(grid()));
  assert.ok(!html.includes('gpt<2>'), 'a raw model name would open a tag');
  assert.ok(html.includes('gpt&lt;2&gt; &amp; &quot;co&quot;'));
  assert.ok(!html.includes('<fast>'));
  assert.ok(html.includes('Test CPU &lt;fast&gt; &amp; &quot;cheap&quot;'));
  const listed = [...html.matchAll(/<li data-status="(\w+)">(.*?)<\/li>/g)].map((m) => [m[1], m[2]!.replace(/<[^>]+>/g, '')]);
  assert.deepEqual(listed, [['oom', 'gpt&lt;2&gt; &amp; &quot;co&quot; · batch 8 · seq 512: OOM — cannot allocate 4 GiB &lt;here&gt;']]);
  // Self-contained: nothing is fetched when the page opens.
  assert.doesNotMatch(html, /<script|<link|<img|src=|url\(|@import|https?:/i);
  // Every record is a table row; the OOM one is marked.
  assert.equal((html.match(/<tr(?: class="failed")?><td>/g) ?? []).length, 16);
  assert.equal((html.match(/<tr class="failed">/g) ?? []).length, 1);
});

test('one batch size: charts against sequence length only, with a note; training gets its own section', () => {
  const records = [8, 32, 128].flatMap((sequenceLength) => [
    record({ model: 'm', batchSize: 8, sequenceLength }),
    record({ model: 'm', batchSize: 8, sequenceLength, mode: 'training' }),
  ]);
  const html = renderReportHtml(results(records));
  assert.deepEqual(
    charts(html).map((c) => c.title),
    ['Inference time vs sequence length', 'Inference memory vs sequence length', 'Training time vs sequence length', 'Training memory vs sequence length'],
  );
  assert.match(html, /Every cell has batch size 8: no chart against batch size\./);
  // 8 → 128 tokens: times 6.4 … 102.4 ms, 16×: log10; memory 464 … 1424 MiB, 3×: linear from zero.
  const [time, memory] = charts(html);
  assert.equal(time!.yScale, 'log10');
  assert.equal(memory!.yScale, 'linear');
  assert.match(memory!.svg, /text-anchor="end" dominant-baseline="middle">0<\/text>/);
});

test('a chart with more series than colours repeats colours with a dash pattern; a legend label is cut, not the tooltip', () => {
  const long = 'meta-llama/Llama-3.1-8B-Instruct-long-name · batch 128';
  const svg = renderLineChartSvg({
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    series: Array.from({ length: 12 }, (_, i) => ({ label: i === 0 ? long : `s${i}`, points: [1, 2].map((x) => ({ x, y: x + i, low: null, high: null, title: '' })) })),
  });
  assert.equal((svg.match(/class="series-line"/g) ?? []).length, 12);
  assert.equal((svg.match(/class="series-line"[^>]*stroke-dasharray="7 4"/g) ?? []).length, 2); // series 10 and 11
  assert.ok(svg.includes(`<title>${long}</title>`));
  assert.ok(svg.includes('>meta-llama/Llama-3.1-8…· batch 128</text>'), 'the end of a cut label (the batch) stays');
});

test('no measured cell at all still makes a page, saying so', () => {
  const failed = record({ model: 'm', batchSize: 8, sequenceLength: 8, status: 'error', error: { code: 'SIGSEGV', message: 'child crashed' }, timeSeconds: null, memory: null });
  const hung = record({ model: 'm', batchSize: 8, sequenceLength: 16, status: 'timeout', error: { code: 'TIMEOUT', message: 'the cell ran past 60 s and was stopped' }, timeSeconds: null, memory: null });
  const html = renderReportHtml(results([failed, hung]));
  assert.equal(charts(html).length, 0);
  assert.match(html, /No cell of this mode has a time or memory figure to plot\./);
  assert.match(html, /<li data-status="error">.*ERROR \(SIGSEGV\).*child crashed/);
  assert.match(html, /<li data-status="timeout">.*<span class="status status-timeout">TIMEOUT<\/span> — the cell ran past 60 s and was stopped/);
  assert.match(html, /<p class="meta">2 cells \(1 error, 1 timeout\) of 1 model on/);
});

test('the header says which share of a sweep a file holds, and warns when merged files ran on different setups', () => {
  const shard = renderReportHtml({ ...results(grid()), shard: { count: 4, indices: [2] } }, { source: 'part2.json' });
  assert.match(shard, /<p class="meta">16 cells \(15 ok, 1 oom\) of 2 models on cpu, float32<\/p>/);
  assert.match(shard, /<p class="meta">from part2\.json<\/p>/);
  assert.match(shard, /<p class="meta">shard 2 of 4: part of the sweep<\/p>/);
  const merged = renderReportHtml({
    ...results(grid()),
    merged: {
      sources: [{ name: 'a.json', shard: { count: 2, indices: [1] }, records: 8, startedAt: '', finishedAt: '' }, { name: 'b.json', shard: { count: 2, indices: [2] }, records: 8, startedAt: '', finishedAt: '' }],
      environmentDifferences: ['cpuModel: Fast <CPU> in a.json; Slow CPU in b.json'],
    },
  });
  assert.match(merged, /merged from 2 files: a\.json, b\.json/);
  assert.match(merged, /<p class="warning">The merged files ran on different setups: cpuModel: Fast &lt;CPU&gt; in a\.json; Slow CPU in b\.json<\/p>/);
});
