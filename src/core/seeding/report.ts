/**
 * Human-readable forms of a {@link SeedingAnalysis}: the one-line lens title
 * and the full Markdown report shown by the command and printed by the CLI.
 * User-facing line numbers are 1-based.
 */
import { codeSpan, escapeMarkdown, tableCell } from '../markdown';
import { unseeded, type ApiReference, type SeedingAnalysis } from './analyze';

/** The one-line summary a lens shows, and the 0-based line it belongs on. */
export interface SeedSummary {
  readonly line: number;
  readonly title: string;
}

const SHORT_RNG: Record<string, string> = {
  python: 'random',
  numpy: 'NumPy',
  'torch-cpu': 'torch CPU',
  'torch-cuda': 'torch CUDA',
  tensorflow: 'TensorFlow',
  jax: 'JAX key',
  dgl: 'DGL',
  paddle: 'Paddle',
  mindspore: 'MindSpore',
};

/**
 * Where a seed summary goes (the first seeding call, else the first import of a
 * framework with an RNG) and what it says; undefined when no RNG is in play.
 */
export function seedSummary(analysis: SeedingAnalysis): SeedSummary | undefined {
  if (analysis.coverage.length === 0) return undefined;
  const missing = unseeded(analysis);
  const seeded = analysis.coverage.filter((c) => c.seededBy.length > 0).map((c) => SHORT_RNG[c.rng]);
  const traps = analysis.references.filter((r) => isTrap(r));
  const anchor = analysis.references.find((r) => r.api.effect !== 'determinism' && r.api.effect !== 'local' && r.api.effect !== 'draws');
  const line = anchor ? anchor.line : Math.min(...analysis.frameworks.filter((f) => f.framework.rngs.length > 0).map((f) => f.line));
  const parts: string[] = [];
  if (seeded.length > 0) parts.push(`seeded: ${seeded.join(', ')}`);
  if (missing.length > 0) parts.push(`not seeded: ${missing.map((c) => SHORT_RNG[c.rng]).join(', ')}`);
  if (traps.length > 0) parts.push(`${traps.length} seeding ${traps.length === 1 ? 'problem' : 'problems'}`);
  return { line, title: `InitLens: ${parts.join(' · ')}` };
}

/** A reference that does not do what it looks like it does. */
export function isTrap(reference: ApiReference): boolean {
  const { effect } = reference.api;
  if (effect === 'partial' || effect === 'randomizes' || effect === 'no-effect') return true;
  // `cudnn.benchmark = True` re-enables autotuning.
  return reference.qualifiedName === 'torch.backends.cudnn.benchmark' && reference.argument?.trim() === 'True';
}

/** The call or assignment as written, shortened for a table cell. */
export function describeReference(reference: ApiReference, text: string): string {
  const source = text.slice(reference.statementFrom, reference.statementTo).replace(/\s+/g, ' ');
  return source.length > 60 ? `${source.slice(0, 57)}...` : source;
}

/** The full report, as Markdown. `name` is the document's file name. */
export function seedReportMarkdown(analysis: SeedingAnalysis, text: string, name: string): string {
  // Plain file names stay readable in the raw report; anything else is escaped.
  const title = /^[\w-]+(\.[\w-]+)*$/.test(name) && !/^www\./i.test(name) ? name : escapeMarkdown(name);
  const out: string[] = [`# Seed report: ${title}`, ''];
  if (analysis.frameworks.length === 0) {
    out.push('This file imports no framework with a random number generator InitLens knows.');
    return out.join('\n') + '\n';
  }
  out.push(
    `Frameworks imported: ${analysis.frameworks.map((f) => `${f.framework.label} (line ${f.line + 1})`).join(', ')}.`,
    '',
  );
  if (analysis.coverage.length > 0) {
    out.push('| Random number generator | Seeded by |', '| --- | --- |');
    for (const c of analysis.coverage) {
      const by = c.seededBy.map((r) => `${tableCell(codeSpan(describeReference(r, text)))} (line ${r.line + 1})`).join('<br>');
      out.push(`| ${c.label} | ${by || '**not seeded**'} |`);
    }
    out.push('');
  }
  const traps = analysis.references.filter(isTrap);
  if (traps.length > 0) {
    out.push('## Problems', '');
    for (const r of traps) out.push(`- Line ${r.line + 1}, ${codeSpan(describeReference(r, text))}: ${r.api.summary} ${r.api.caveat ?? ''}`.trimEnd());
    out.push('');
  }
  const knobs = analysis.references.filter((r) => r.api.effect === 'determinism' && !isTrap(r));
  if (knobs.length > 0) {
    out.push('## Determinism settings', '');
    for (const r of knobs) out.push(`- Line ${r.line + 1}, ${codeSpan(describeReference(r, text))}: ${r.api.summary}`);
    out.push('');
  }
  return out.join('\n');
}
