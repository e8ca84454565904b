import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * How src's files may depend on each other, read from their import statements (type-only, side-effect and
 * dynamic imports included): no file reaches itself through its imports, no folder reaches itself through
 * another folder, core/ (plumbing) imports no domain folder, and the training domains build on each other
 * in one direction only. A domain that adds to an earlier domain's type does it from its own files
 * (`builder.prismaObjectFields(Assignment, …)` in completions/), so the earlier one never imports it.
 */

const SRC = fileURLToPath(new URL('../src', import.meta.url));
/** Generated code (Prisma client, GraphQL operations) imports nothing of ours. */
const SKIPPED = new Set(['generated']);
/** A folder may import the folders before it in this list, never one after it. */
const DOMAIN_ORDER = ['users', 'courses', 'assignments', 'completions', 'certificates'];

const IMPORTS = [
  /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return SKIPPED.has(path.relative(SRC, full)) ? [] : sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The src file a relative specifier names (`./x.js` is `./x.ts` to TypeScript), or undefined. */
function resolve(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '');
  const candidates = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && candidate.startsWith(SRC));
}

/** Every src file (relative to src) and the src files it imports. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const pattern of IMPORTS) {
      for (const [, specifier] of text.matchAll(pattern)) {
        const target = specifier!.startsWith('.') ? resolve(file, specifier!) : undefined;
        if (target && !SKIPPED.has(folderOf(path.relative(SRC, target)) ?? '')) {
          targets.add(path.relative(SRC, target));
        }
      }
    }
    graph.set(path.relative(SRC, file), targets);
  }
  return graph;
}

/** The folder directly under src a file belongs to; undefined for src's own files (the composition root). */
function folderOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  return parts.length > 1 ? parts[0] : undefined;
}

/** The strongly connected parts of more than one node, or of one that imports itself: each is a cycle. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const part = stack.splice(stack.indexOf(node));
    if (part.length > 1 || graph.get(node)?.has(node)) found.push(part.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Folder → the folders it imports, each with the imports that make the edge. */
function folderGraph(graph: Map<string, Set<string>>): Map<string, Map<string, string[]>> {
  const folders = new Map<string, Map<string, string[]>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (!from) continue;
    for (const target of targets) {
      const to = folderOf(target);
      if (!to || to === from) continue;
      if (!folders.has(from)) folders.set(from, new Map());
      const edges = folders.get(from)!;
      edges.set(to, [...(edges.get(to) ?? []), `${file} → ${target}`]);
    }
  }
  return folders;
}

const graph = importGraph();
const folders = folderGraph(graph);
const foldersOnly = new Map([...folders].map(([folder, edges]) => [folder, new Set(edges.keys())]));
const importsOf = (from: string, to: string) => folders.get(from)?.get(to) ?? [];

describe('the import graph of src', () => {
  it('is read from every kind of import statement', () => {
    expect(graph.get('completions/complete.ts')).toContain('assignments/assignment.ts');
    expect(graph.get('completions/index.ts')).toContain('completions/complete.ts');
    expect(graph.get('core/auth.ts')).toContain('core/config.ts');
    expect(graph.get('web/app/App.tsx')).toContain('web/app/session.ts');
  });

  it('has no cycle between files', () => {
    const found = cycles(graph).map((part) =>
      part.flatMap((from) => [...graph.get(from)!].filter((to) => part.includes(to)).map((to) => `${from} → ${to}`)),
    );
    expect(found).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const found = cycles(foldersOnly).map((part) => part.flatMap((from) => part.flatMap((to) => importsOf(from, to))));
    expect(found).toEqual([]);
  });

  it('keeps core/ free of domain folders', () => {
    expect([...(folders.get('core')?.values() ?? [])].flat()).toEqual([]);
  });

  it(`builds the domains in one direction: ${DOMAIN_ORDER.join(' → ')}`, () => {
    const backwards = DOMAIN_ORDER.flatMap((from, at) =>
      DOMAIN_ORDER.slice(at + 1).flatMap((later) => importsOf(from, later)),
    );
    expect(backwards).toEqual([]);
  });
});
