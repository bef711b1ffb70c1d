// tfbench run [args.json] [flags]: validate, run the sweep with a progress line, print the tables,
// write the JSON results. Ctrl-C stops the sweep and still prints and writes what was measured.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  benchmark,
  environmentEntries,
  renderEnvironment,
  renderBreakdowns,
  renderSections,
  writeCsvFiles,
  writeResultsJson,
  TfbenchError,
  type ProgressEvent,
} from '@tfbench/core';
import { flagOverrides } from '../main.js';
import type { Io } from '../io.js';

function readArgsFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TfbenchError(`cannot read args file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      code: 'BAD_ARGS',
      hint: 'Pass the path of an existing args.json (see examples/), or give everything as flags.',
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TfbenchError(`${path} is not valid JSON: ${(err as Error).message}`, {
      code: 'BAD_ARGS',
      hint: 'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
    });
  }
}

function progressLine(io: Io, quiet: boolean): (event: ProgressEvent) => void {
  if (quiet || !io.stderrIsTTY) return () => {};
  return (event) => {
    if (event.type === 'cell-start') {
      const { cell } = event;
      io.stderr(`\r\x1b[2K[${event.index + 1}/${event.total}] ${cell.model} · batch ${cell.batchSize} · seq ${cell.sequenceLength} · ${cell.mode}`);
    } else if (event.type === 'cell-end' && event.index + 1 === event.total) {
      io.stderr('\r\x1b[2K');
    }
  };
}

export async function runCommand(argv: Record<string, unknown>, io: Io): Promise<number> {
  const argsPath = typeof argv.args === 'string' ? resolve(argv.args) : null;
  const fileArgs = argsPath ? readArgsFile(argsPath) : {};

  const controller = new AbortController();
  const onSigint = () => {
    io.stderr('\ntfbench: interrupted; writing what was measured so far\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let results;
  try {
    results = await benchmark(fileArgs, {
      overrides: flagOverrides(argv),
      baseDir: argsPath ? dirname(argsPath) : process.cwd(),
      signal: controller.signal,
      onProgress: progressLine(io, argv.quiet === true),
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }

  let out = '';
  const tables = renderSections(results.records);
  if (tables) out += `${tables}\n`;
  const breakdowns = renderBreakdowns(results.records);
  if (breakdowns) out += `${breakdowns}\n`;
  if (results.args.envPrint) out += `${renderEnvironment(environmentEntries(results.environment))}\n`;
  io.stdout(out);
  if (results.args.logPrint) writeFileSync(resolve(results.args.outputDir, results.args.logFilename), out);
  if (results.args.saveToCsv) {
    const files = await writeCsvFiles(results.records, environmentEntries(results.environment), results.args);
    io.stderr(`tfbench: CSV written to ${files.join(', ')}\n`);
  }
  if (results.args.json) {
    const jsonPath = resolve(results.args.outputDir, results.args.json);
    writeResultsJson(results, jsonPath);
    io.stderr(`tfbench: results written to ${jsonPath}\n`);
  }
  for (const r of results.records) {
    const cell = `${r.model} batch ${r.batchSize} seq ${r.sequenceLength} ${r.mode}`;
    if (r.status !== 'ok') io.stderr(`tfbench: ${cell}: ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}\n`);
    else for (const w of r.warnings) io.stderr(`tfbench: note: ${cell}: ${w}\n`);
  }
  if (results.interrupted) return 130;
  return results.records.every((r) => r.status === 'ok' || r.status === 'skipped') ? 0 : 1;
}
