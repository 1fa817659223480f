/**
 * The seed plan for a notebook: the seeding code goes into the cell that
 * already holds the seed helper, else into the first code cell with imports
 * (when no earlier cell builds a model), else into a new cell at the top.
 * Frameworks imported by any cell are seeded. Also reads and writes `.ipynb`
 * JSON (nbformat 4) for the CLI.
 */
import type { EditPlan } from '../edits/applyInit';
import { parsePython, type Tree } from '../python/parse';
import { analyzeSeeding, type SeedingAnalysis } from './analyze';
import { firstConstruction } from './placement';
import { applyTextEdits } from '../edits/apply';
import { planSeed, type SeedOptions } from './plan';
import { seedTargets, type SeedTarget } from './template';

/** A notebook cell as the planner sees it. */
export interface CellText {
  readonly kind: 'code' | 'markup';
  readonly text: string;
}

/** Edit one existing cell, or insert a new code cell at `index`. */
export type NotebookSeedPlan =
  | { readonly kind: 'edit'; readonly cell: number; readonly plan: EditPlan }
  | { readonly kind: 'insert-cell'; readonly index: number; readonly text: string; readonly summary: string };

const HELPER_DEF = /^(?:def\s+(?:seed_everything|set_seed|set_seeds|seed_all|set_random_seed|fix_seed)\b|.*\bseed_everything\s*\(|.*\bset_seed\s*\()/m;

/** Plans the seed for a notebook's cells; throws `EditRefused` like {@link planSeed}. */
export function planNotebookSeed(cells: readonly CellText[], options: SeedOptions): NotebookSeedPlan {
  const parsed = cells.map((c) => {
    if (c.kind !== 'code') return undefined;
    const tree = parsePython(c.text);
    return { tree, seeding: analyzeSeeding(tree, c.text) };
  });
  const all: SeedTarget[] = [...new Set(parsed.flatMap((p) => (p ? seedTargets(p.seeding.imports) : [])))];
  const plan = (index: number): NotebookSeedPlan => {
    const p = parsed[index] as { tree: Tree; seeding: SeedingAnalysis };
    const earlierImports = parsed.slice(0, index).flatMap((q) => (q ? q.seeding.imports : []));
    return { kind: 'edit', cell: index, plan: planSeed({ text: cells[index].text, tree: p.tree, seeding: p.seeding, otherTargets: all, earlierImports }, options) };
  };
  const helper = cells.findIndex((c) => c.kind === 'code' && HELPER_DEF.test(c.text));
  if (helper >= 0) return plan(helper);
  const withImports = parsed.findIndex((p) => p && p.seeding.imports.length > 0 && topLevelImport(p.tree));
  const builtBefore = parsed.slice(0, Math.max(withImports, 0)).some((p, i) => p && firstConstruction(p.tree, cells[i].text, p.seeding.imports));
  if (withImports >= 0 && !builtBefore) return plan(withImports);
  // A new first cell must import what it seeds itself: nothing ran before it.
  const empty = parsePython('');
  const fresh = planSeed({ text: '', tree: empty, seeding: analyzeSeeding(empty, ''), otherTargets: all }, options);
  return { kind: 'insert-cell', index: 0, text: applyTextEdits('', fresh.edits).trimEnd(), summary: `${fresh.summary.replace(/\.$/, '')} in a new first cell.` };
}

function topLevelImport(tree: Tree): boolean {
  for (let s = tree.topNode.firstChild; s; s = s.nextSibling) if (s.name === 'ImportStatement') return true;
  return false;
}

/** The parts of an nbformat 4 notebook the planner reads and writes. */
interface IpynbCell {
  cell_type: string;
  source: string | string[];
  id?: string;
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
}

interface Ipynb {
  cells: IpynbCell[];
  nbformat?: number;
  nbformat_minor?: number;
}

function isIpynb(value: unknown): value is Ipynb {
  return typeof value === 'object' && value !== null && Array.isArray((value as Ipynb).cells);
}

function sourceText(cell: IpynbCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** nbformat stores source as lines that keep their line endings. */
function sourceLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Plans and applies the seed to `.ipynb` JSON text; returns the new JSON
 * (nbformat's own layout: one-space indentation, trailing newline) and the
 * summary. Throws `EditRefused` for a plan that cannot be made and
 * `SyntaxError` for JSON that is not a notebook.
 */
export function seedIpynb(json: string, options: SeedOptions): { text: string; summary: string } {
  const nb: unknown = JSON.parse(json);
  if (!isIpynb(nb)) throw new SyntaxError('not a Jupyter notebook (no "cells" array)');
  const cells = nb.cells.map((c): CellText => ({ kind: c.cell_type === 'code' ? 'code' : 'markup', text: sourceText(c) }));
  const plan = planNotebookSeed(cells, options);
  if (plan.kind === 'edit') {
    const cell = nb.cells[plan.cell];
    cell.source = sourceLines(applyTextEdits(sourceText(cell), plan.plan.edits));
    return { text: `${JSON.stringify(nb, null, 1)}\n`, summary: plan.plan.summary };
  }
  const withIds = nb.cells.some((c) => typeof c.id === 'string');
  const cell: IpynbCell = {
    cell_type: 'code',
    execution_count: null,
    ...(withIds ? { id: 'initlens-seed' } : {}),
    metadata: {},
    outputs: [],
    source: sourceLines(plan.text),
  };
  nb.cells.splice(plan.index, 0, cell);
  return { text: `${JSON.stringify(nb, null, 1)}\n`, summary: plan.summary };
}
