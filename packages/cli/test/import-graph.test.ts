// The import graph is one-way — cli → core → native, core reaching the addon only through core/src/backend/ — and
// no package's sources import each other in a cycle, type-only imports included (madge reads them as edges).
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
