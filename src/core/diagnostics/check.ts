/**
 * One file of `initlens check`, in pure TypeScript: the text of a `.py` file
 * or of a notebook goes in, its problems come out with 1-based positions,
 * their stable codes, and the suppression comments applied. The walk, the
 * reading, the configuration and the output formats live in src/cli/check*.ts.
 *
 * Notebooks: the code cells are checked together, as one program run top to
 * bottom (a seed in the first cell covers training in the last), and each
 * position is mapped back to its cell: `cell` is the cell's 1-based index
 * among all the notebook's cells (Markdown included, as Jupyter shows them)
 * and `line`/`column` count within that cell's source. IPython lines
 * (`%magic`, `!shell`) and cells (`%%bash`) are read as comments.
 */
import { LIMITS, limitText } from '../limits';
import { ModelAnalyzer, type ExternalSite } from '../model/analyze';
import { parsePython, syntaxErrors, type Tree } from '../python/parse';
import { analyzeSeeding } from '../seeding/analyze';
import { RULE_CODES } from './codes';
import { checkDocument, type Finding, type RuleId, type RuleOptions } from './rules';
import { lineAt, lineStarts, unsuppressed } from './suppress';

/** One problem, positioned as linters print it. */
export interface Problem {
  readonly rule: RuleId;
  /** `IL101`. */
  readonly code: string;
  /** `seed-missing`. */
  readonly name: string;
  readonly severity: Finding['severity'];
  readonly message: string;
  /** 1-based; within the cell for notebooks. */
  readonly line: number;
  /** 1-based, in Unicode code points. */
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  /** Notebooks: the cell's 1-based index among all cells. */
  readonly cell?: number;
  /** The title of the rule's quick fix, when it has one. */
  readonly fix?: string;
}

/** A file that could not be checked, with why (one line). */
export class NotCheckable extends Error {}

export interface CheckOptions extends RuleOptions {
  /** The rules that run (all when omitted). */
  readonly enabled?: ReadonlySet<RuleId>;
  /**
   * The constructions of the file's classes in the other files of its project
   * (the CLI's `ProjectScan`, the editor's workspace index), as the model
   * analysis's `external` contexts, so that a layer gets the numbers the
   * editor shows. Asked once the text parses; absent: the file on its own.
   */
  readonly external?: (tree: Tree, text: string) => readonly ExternalSite[];
}

/** What one file yields: its problems, or the first syntax error that kept the rules quiet. */
export interface FileResult {
  readonly problems: readonly Problem[];
  readonly syntaxError?: { readonly line: number; readonly column: number; readonly cell?: number };
}

/** Code points between two offsets (a surrogate pair is one column, as ruff and CPython count). */
function codePoints(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === from) n++;
  }
  return n;
}

/**
 * The 0-based UTF-16 offset within `line` of a {@link Problem}'s 1-based
 * column (in code points), as an editor's `Position.character` counts; the
 * inverse of the columns above. A column past the end gives the line's length.
 */
export function utf16Column(line: string, column: number): number {
  let i = 0;
  for (let n = 1; n < column && i < line.length; n++) {
    const c = line.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < line.length && line.charCodeAt(i + 1) >= 0xdc00 && line.charCodeAt(i + 1) <= 0xdfff ? 2 : 1;
  }
  return i;
}

/** Where a 0-based line of the checked text lies in its file: the cell and the line in it. */
type LineMap = (line: number) => { line: number; cell?: number };

function analyze(text: string, options: CheckOptions, map: LineMap): FileResult {
  if (text.length > LIMITS.documentLength.value) throw new NotCheckable(`its code is above ${limitText('documentLength')}`);
  const tree = parsePython(text);
  const errors = syntaxErrors(tree, text);
  if (errors.length > 0) {
    const at = map(errors[0].line);
    return { problems: [], syntaxError: { line: at.line + 1, column: errors[0].column + 1, ...(at.cell !== undefined ? { cell: at.cell } : {}) } };
  }
  const seeding = analyzeSeeding(tree, text);
  const models = new ModelAnalyzer().analyze(tree, text, { imports: seeding.imports, external: options.external?.(tree, text) ?? [] });
  const findings = unsuppressed(checkDocument({ text, tree, seeding, models }, options, options.enabled), tree, text);
  const starts = lineStarts(text);
  const position = (offset: number) => {
    const line = lineAt(starts, offset);
    return { ...map(line), column: codePoints(text, starts[line], offset) + 1 };
  };
  const problems = findings.map((f): Problem => {
    const start = position(f.from);
    // A span that runs into another cell (it cannot: cells end with a line break) is cut at its start's cell.
    const end = position(Math.max(f.from, f.to));
    const sameCell = end.cell === start.cell;
    const { code, name } = RULE_CODES[f.rule];
    return {
      rule: f.rule,
      code,
      name,
      severity: f.severity,
      message: f.message.replace(/\s*[\r\n]+\s*/g, ' '),
      line: start.line + 1,
      column: start.column,
      endLine: sameCell ? end.line + 1 : start.line + 1,
      endColumn: sameCell ? end.column : start.column,
      ...(start.cell !== undefined ? { cell: start.cell } : {}),
      // Quick fixes of notebooks edit the joined cells: not offered by the CLI.
      ...(f.fix && start.cell === undefined ? { fix: f.fix.title } : {}),
    };
  });
  return { problems };
}

/** The problems of a Python file. */
export function checkPython(text: string, options: CheckOptions): FileResult {
  return analyze(text, options, (line) => ({ line }));
}

/** An IPython line (`%time`, `!pip`, `?obj`) is not Python: a comment of the same length keeps the columns. */
const MAGIC_LINE = /^([ \t]*)[%!?]/;

interface JoinedCells {
  readonly text: string;
  /** Per code cell: its first line in `text` and its index among all cells. */
  readonly cells: readonly { readonly firstLine: number; readonly index: number }[];
}

/** The code cells of an nbformat 4 notebook, as one text; throws {@link NotCheckable} for JSON that is not one. */
export function joinNotebookCells(json: string): JoinedCells {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch (error) {
    throw new NotCheckable(`invalid notebook JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const cells = (nb as { cells?: unknown } | null)?.cells;
  if (typeof nb !== 'object' || nb === null || !Array.isArray(cells)) throw new NotCheckable('not a Jupyter notebook (no "cells" array)');
  let text = '';
  let line = 0;
  const out: { firstLine: number; index: number }[] = [];
  cells.forEach((cell: unknown, i) => {
    const c = cell as { cell_type?: unknown; source?: unknown } | null;
    if (c === null || typeof c !== 'object' || c.cell_type !== 'code') return;
    const source = Array.isArray(c.source) ? c.source.filter((s): s is string => typeof s === 'string').join('') : typeof c.source === 'string' ? c.source : '';
    const lines = source.split(/\r\n|\r|\n/);
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const cellMagic = /^%%/.test(lines[0] ?? '');
    const python = lines.map((l) => (cellMagic ? (l === '' ? '' : `#${l.slice(1)}`) : l.replace(MAGIC_LINE, (_m, indent: string) => `${indent}#`)));
    out.push({ firstLine: line, index: i + 1 });
    text += `${python.join('\n')}\n`;
    line += python.length;
  });
  return { text, cells: out };
}

/** The problems of a notebook (`.ipynb` JSON), positioned in their cells. */
export function checkNotebook(json: string, options: CheckOptions): FileResult {
  const { text, cells } = joinNotebookCells(json);
  return analyze(text, options, (line) => {
    let k = cells.length - 1;
    while (k > 0 && cells[k].firstLine > line) k--;
    const cell = cells[k];
    return cell ? { line: line - cell.firstLine, cell: cell.index } : { line };
  });
}
