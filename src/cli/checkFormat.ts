/**
 * The outputs of `initlens check`: `text` (one `path:line:col: CODE message`
 * line per problem, as linters print), `json`, and the summary line, always
 * on stderr so that stdout holds only the chosen format.
 */
import type { Problem } from '../core/diagnostics/check';
import type { CliIo } from './run';

export const FORMATS = ['text', 'json'] as const;
export type CheckFormat = (typeof FORMATS)[number];

/** A file or folder that was not checked, with why; a position when the reason has one (a syntax error). */
export interface FileIssue {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  readonly cell?: number;
}

export interface CheckReport {
  /** Files found to check. */
  readonly files: number;
  /** Files checked to the end. */
  readonly checked: number;
  readonly problems: readonly { readonly path: string; readonly problem: Problem }[];
  readonly issues: readonly FileIssue[];
  readonly seconds: number;
  /** The folder relative paths are written against (the working directory). */
  readonly root: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** `path:line:col` or, in a notebook, `path:cell N:line:col` (as ruff writes notebook positions). */
export function position(p: string, at: { line?: number; column?: number; cell?: number }): string {
  if (at.line === undefined) return p;
  return `${p}${at.cell !== undefined ? `:cell ${at.cell}` : ''}:${at.line}:${at.column ?? 1}`;
}

function summary(r: CheckReport): string {
  const found = r.problems.length === 0 ? 'no problems' : plural(r.problems.length, 'problem');
  const skipped = r.issues.length > 0 ? `, ${plural(r.issues.length, 'path')} not checked` : '';
  return `Checked ${plural(r.checked, 'file')} in ${r.seconds.toFixed(2)} s: ${found}${skipped}.\n`;
}

function text(r: CheckReport): string {
  return r.problems.map(({ path, problem: p }) => `${position(path, p)}: ${p.code} ${p.message}\n`).join('');
}

function json(r: CheckReport): string {
  const out = {
    files: r.files,
    checked: r.checked,
    problems: r.problems.map(({ path, problem: p }) => ({
      path,
      ...(p.cell !== undefined ? { cell: p.cell } : {}),
      line: p.line,
      column: p.column,
      endLine: p.endLine,
      endColumn: p.endColumn,
      code: p.code,
      name: p.name,
      severity: p.severity,
      message: p.message,
      fix: p.fix ?? null,
    })),
    notChecked: r.issues.map((i) => ({ path: i.path, ...(i.cell !== undefined ? { cell: i.cell } : {}), ...(i.line !== undefined ? { line: i.line, column: i.column } : {}), message: i.message })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Writes the report: the format on stdout, each unchecked path and the summary on stderr. */
export function formatReport(r: CheckReport, format: CheckFormat, io: Pick<CliIo, 'stdout' | 'stderr'>): void {
  for (const i of r.issues) io.stderr(`initlens: ${position(i.path, i)}: ${i.message}\n`);
  io.stdout(format === 'json' ? json(r) : text(r));
  io.stderr(summary(r));
}
