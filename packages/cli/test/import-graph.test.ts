// The import graph is one-way — cli → core → native, core reaching the addon only through core/src/backend/ — only
// core/src/backend/ imports a framework (the addon, TensorFlow.js), and no package's sources import each other in a
// cycle, type-only imports included (madge reads them as edges).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SOURCES = { native: 'packages/native/lib', core: 'packages/core/src', cli: 'packages/cli/src' } as const;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** The workspace packages a file imports (`@tfbench/<name>`), static or dynamic, type-only included. */
function workspaceImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*['"]@tfbench\/([\w-]+)/g)].map((m) => m[1]!);
}

/** The TensorFlow.js packages a file imports (`@tensorflow/<name>`), static or dynamic, type-only included. */
function tensorflowImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*['"]@tensorflow\/([\w-]+)/g)].map((m) => m[1]!);
}

test('no package imports itself in a cycle', async () => {
  for (const [name, dir] of Object.entries(SOURCES)) {
    const graph = await madge(join(root, dir), {
      fileExtensions: ['ts'],
      // Other packages' compiled files are not this package's cycles.
      excludeRegExp: [/[\\/]dist[\\/]/, /node_modules/],
      detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
    });
    assert.deepEqual(graph.circular(), [], `${name}: import cycles`);
    assert.ok(Object.keys(graph.obj()).length > 3, `${name}: madge read the sources`);
  }
});

test('cli → core → native, and in core only backend/ imports the addon', () => {
  const allowed: Record<keyof typeof SOURCES, string[]> = { native: [], core: ['native'], cli: ['core'] };
  for (const [name, dir] of Object.entries(SOURCES) as Array<[keyof typeof SOURCES, string]>) {
    for (const file of tsFiles(join(root, dir))) {
      const where = relative(root, file);
      for (const target of workspaceImports(file)) {
        assert.ok(allowed[name].includes(target), `${where} imports @tfbench/${target}`);
        if (target === 'native') assert.match(where, /^packages\/core\/src\/backend\//, `${where} imports the addon outside backend/`);
      }
    }
  }
});

test('only core/src/backend/tfjs/ imports TensorFlow.js', () => {
  let importers = 0;
  for (const dir of Object.values(SOURCES)) {
    for (const file of tsFiles(join(root, dir))) {
      const where = relative(root, file);
      const targets = tensorflowImports(file);
      if (targets.length > 0) importers++;
      for (const target of targets) assert.match(where, /^packages\/core\/src\/backend\/tfjs\//, `${where} imports @tensorflow/${target}`);
    }
  }
  assert.ok(importers >= 2, `${importers} files import TensorFlow.js: the rule looked at the tfjs backend`);
});

test('TensorFlow.js is loaded only when asked for: outside backend/tfjs/ its modules are imported dynamically or for types', () => {
  let dynamic = 0;
  for (const dir of Object.values(SOURCES)) {
    for (const file of tsFiles(join(root, dir))) {
      const where = relative(root, file);
      if (where.startsWith('packages/core/src/backend/tfjs/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(import(?: type)?)[^;]*?from\s*['"][^'"]*\/tfjs\/[^'"]*['"]/gm)) {
        assert.equal(m[1], 'import type', `${where} imports the tfjs backend statically: ${m[0]}`);
      }
      dynamic += [...text.matchAll(/import\(\s*['"][^'"]*\/tfjs\/index\.js['"]\s*\)/g)].length;
    }
  }
  assert.equal(dynamic, 1, 'backend/resolve.ts imports the tfjs backend when a tfjs ref is built');
});
