/**
 * The outputs of `initlens check`: `text` (one `path:line:col: CODE message`
 * line per problem, as linters print), `json`, `sarif` (SARIF 2.1.0, for
 * code-scanning uploads) and `github` (workflow-command annotations), and the
 * summary line, always on stderr so that stdout holds only the chosen format.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Problem } from '../core/diagnostics/check';
import { RULE_CODES } from '../core/diagnostics/codes';
import { RULE_DOCS, RULES } from '../core/diagnostics/rules';
import type { CliIo } from './run';

export const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
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
  /** InitLens's version, for SARIF's `tool.driver`. */
  readonly version: string;
  /** `--fix`: the fixes written. */
  readonly fixed?: number;
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
  const fixed = r.fixed !== undefined ? `, ${plural(r.fixed, 'fix', 'fixes')} written` : '';
  return `Checked ${plural(r.checked, 'file')} in ${r.seconds.toFixed(2)} s: ${found}${fixed}${skipped}.\n`;
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

/** SARIF's `level` of a severity (§3.27.10: error, warning, note). */
const LEVEL = { error: 'error', warning: 'warning', information: 'note' } as const;

/**
 * An artifact URI (SARIF §3.4.3): relative to the working directory
 * (`uriBaseId` `%SRCROOT%`, as code scanning resolves it against the
 * checkout) with each segment percent-encoded, or a `file:` URI for a path
 * outside it.
 */
function artifact(root: string, p: string): { uri: string; uriBaseId?: string } {
  const absolute = path.resolve(root, p);
  const rel = path.relative(root, absolute);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

/** A notebook position has no line in the `.ipynb` JSON: the message says where, the region is left out. */
const cellPrefix = (at: { cell?: number; line?: number }) => (at.cell !== undefined ? `cell ${at.cell}, line ${at.line}: ` : '');

function sarif(r: CheckReport): string {
  const rules = [...RULES].sort((a, b) => (RULE_CODES[a].code < RULE_CODES[b].code ? -1 : 1));
  const index = new Map(rules.map((rule, i) => [rule, i]));
  const location = (p: string, at: { line?: number; column?: number; endLine?: number; endColumn?: number; cell?: number }) => ({
    physicalLocation: {
      artifactLocation: artifact(r.root, p),
      ...(at.line !== undefined && at.cell === undefined
        ? { region: { startLine: at.line, startColumn: at.column ?? 1, ...(at.endLine !== undefined ? { endLine: at.endLine, endColumn: at.endColumn } : {}) } }
        : {}),
    },
  });
  const log = {
    $schema: 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'InitLens',
            version: r.version,
            rules: rules.map((rule) => ({
              id: RULE_CODES[rule].code,
              name: RULE_CODES[rule].name,
              shortDescription: { text: RULE_CODES[rule].description },
              helpUri: RULE_DOCS[rule],
            })),
          },
        },
        // Columns are counted in code points (core/diagnostics/check.ts), not SARIF's default UTF-16 units.
        columnKind: 'unicodeCodePoints',
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${r.root}${path.sep}`).href } },
        results: r.problems.map(({ path: p, problem }) => ({
          ruleId: problem.code,
          ruleIndex: index.get(problem.rule),
          level: LEVEL[problem.severity],
          message: { text: `${cellPrefix(problem)}${problem.message}` },
          locations: [location(p, problem)],
          ...(problem.cell !== undefined ? { properties: { cell: problem.cell, line: problem.line, column: problem.column } } : {}),
        })),
        invocations: [
          {
            executionSuccessful: r.issues.length === 0,
            toolExecutionNotifications: r.issues.map((i) => ({ level: 'error', message: { text: `${cellPrefix(i)}${i.message}` }, locations: [location(i.path, i)] })),
          },
        ],
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** Workflow-command data: `%`, CR and LF escaped (actions/toolkit `escapeData`). */
export const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Workflow-command property values: also `:` and `,` (actions/toolkit `escapeProperty`). */
export const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=IL101 seed-missing::message`. */
function annotation(kind: 'error' | 'warning' | 'notice', p: string, at: { line?: number; column?: number; endLine?: number; endColumn?: number; cell?: number }, title: string, message: string): string {
  const props: [string, string | number | undefined][] = [['file', p.split(path.sep).join('/').replace(/^\.\//, '')]];
  if (at.line !== undefined && at.cell === undefined) props.push(['line', at.line], ['col', at.column], ['endLine', at.endLine], ['endColumn', at.endColumn]);
  props.push(['title', title]);
  const list = props.filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${kind} ${list.join(',')}::${escapeData(`${cellPrefix(at)}${message}`)}\n`;
}

function github(r: CheckReport): string {
  const kind = { error: 'error', warning: 'warning', information: 'notice' } as const;
  return [
    ...r.problems.map(({ path: p, problem }) => annotation(kind[problem.severity], p, problem, `${problem.code} ${problem.name}`, problem.message)),
    ...r.issues.map((i) => annotation('error', i.path, i, 'InitLens: not checked', i.message)),
  ].join('');
}

const WRITERS: Readonly<Record<CheckFormat, (r: CheckReport) => string>> = { text, json, sarif, github };

/** Writes the report: the format on stdout, each unchecked path and the summary on stderr. */
export function formatReport(r: CheckReport, format: CheckFormat, io: Pick<CliIo, 'stdout' | 'stderr'>): void {
  for (const i of r.issues) io.stderr(`initlens: ${position(i.path, i)}: ${i.message}\n`);
  io.stdout(WRITERS[format](r));
  io.stderr(summary(r));
}
