// tfbench report <results.json> [-o report.html]: one self-contained HTML page with charts of time and memory
// against sequence length and batch size, the records and the environment; it opens without network access.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readResultsJson, renderReportHtml, TfbenchError } from '@tfbench/core';
import type { TfbenchCommand } from '../command.js';
import { EXIT_OK, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export interface ReportArgs {
  results: string;
  /** Where to write the page; default: the results path with .html for .json. */
  output?: string;
}

/** report.json → report.html; a name without .json gets .html added, so the results file is never overwritten. */
export function defaultReportPath(resultsPath: string): string {
  return /\.json$/i.test(resultsPath) ? resultsPath.replace(/\.json$/i, '.html') : `${resultsPath}.html`;
}

export const reportCommand: TfbenchCommand<ReportArgs> = ({ io, exit }) => ({
  command: 'report <results>',
  describe:
    'Write a self-contained HTML report of a results file (--json of run): charts of time and memory against sequence length and batch size, the records, the environment',
  builder: (y) =>
    y
      .positional('results', { describe: 'The results file to report on', type: 'string', demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'Where to write the HTML page', defaultDescription: 'the results path with .html for .json' }),
  handler: (a) => exit(writeReport(a, io)),
});

export function writeReport(a: ReportArgs, io: Io): ExitCode {
  const results = readResultsJson(a.results); // a missing or foreign file throws a TfbenchError: exit 2
  const output = a.output ?? defaultReportPath(a.results);
  if (resolve(output) === resolve(a.results)) {
    throw new TfbenchError(`-o ${output} is the results file itself: writing the report there would destroy the results`, { code: 'BAD_ARGS', hint: 'Pass -o a path ending in .html.' });
  }
  const html = renderReportHtml(results, { source: a.results });
  try {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, html);
  } catch (err) {
    throw new TfbenchError(`cannot write the report to ${output}: ${(err as Error).message}`, { code: 'CANNOT_WRITE', hint: 'Pass -o a file path in a writable directory.' });
  }
  const charts = html.match(/<svg class="chart"/g)?.length ?? 0;
  io.stdout(`tfbench report: wrote ${output} (${charts} chart${charts === 1 ? '' : 's'}, ${results.records.length} cell${results.records.length === 1 ? '' : 's'})\n`);
  return EXIT_OK;
}
