/**
 * `initlens check --fix` on a notebook: the fixes of {@link fixPython} computed
 * on the code cells joined as one program (as the check reads them), then
 * carried back to the cells they belong to, and written into the `.ipynb`
 * text by replacing only the `source` values of the cells that changed. Every
 * other byte (indentation, key order, outputs, metadata, escapes, the final
 * newline) stays as it was, and so do the unchanged lines of a changed cell.
 *
 * Where a line goes: a changed line stays in its cell; an inserted line goes
 * after the line before it (so code added after the imports of cell 1 ends
 * cell 1), or at the start of the first cell; never into a `%%magic` cell
 * (whose lines are not Python): then at the start of the next code cell.
 */
import { diffArrays } from 'diff';
import { joinNotebookCells, NotCheckable, type CheckOptions } from './check';
import { fixPython, type FixResult } from './fix';

/** Where a code cell's `source` value lies in the JSON text, and what it holds. */
interface SourceSpan {
  readonly from: number;
  readonly to: number;
  /** The value's raw text: a string or an array of strings. */
  readonly raw: string;
}

const WS = /[ \t\r\n]*/y;

/** A small JSON scanner that only finds value boundaries (the values are read by JSON.parse). */
class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  ws(): void {
    WS.lastIndex = this.i;
    WS.exec(this.text);
    this.i = WS.lastIndex;
  }

  /** Skips one value; returns its start and end. */
  value(): { from: number; to: number } {
    this.ws();
    const from = this.i;
    const c = this.text[this.i];
    if (c === '"') this.string();
    else if (c === '{') this.object(() => this.value());
    else if (c === '[') this.array(() => this.value());
    else {
      const m = /[^,\]}\s]+/y;
      m.lastIndex = this.i;
      if (!m.exec(this.text)) throw new NotCheckable(`invalid notebook JSON at offset ${this.i}`);
      this.i = m.lastIndex;
    }
    return { from, to: this.i };
  }

  string(): string {
    const start = this.i++;
    for (;;) {
      const c = this.text[this.i++];
      if (c === undefined) throw new NotCheckable('invalid notebook JSON (an unterminated string)');
      if (c === '\\') this.i++;
      else if (c === '"') return JSON.parse(this.text.slice(start, this.i)) as string;
    }
  }

  /** Walks an object, calling `member` with each key while the scanner is before its value. */
  object(member: (key: string) => void): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const key = this.string();
      this.ws();
      this.i++; // ':'
      member(key);
      this.ws();
      if (this.text[this.i++] === '}') return;
    }
  }

  array(element: (index: number) => void): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (let k = 0; ; k++) {
      element(k);
      this.ws();
      if (this.text[this.i++] === ']') return;
    }
  }
}

/** The `source` spans of the notebook's cells, by cell index (undefined for a cell without one). */
function sourceSpans(json: string): (SourceSpan | undefined)[] {
  const s = new Scanner(json);
  const spans: (SourceSpan | undefined)[] = [];
  s.ws();
  s.object((key) => {
    if (key !== 'cells') return void s.value();
    s.ws();
    s.array((k) => {
      s.ws();
      spans[k] = undefined;
      if (json[s.i] !== '{') return void s.value();
      s.object((cellKey) => {
        const v = s.value();
        if (cellKey === 'source') spans[k] = { ...v, raw: json.slice(v.from, v.to) };
      });
    });
  });
  return spans;
}

/** A cell's source split into lines that keep their endings (the last may have none). */
const withEndings = (text: string) => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];

/** The new `source` value, in the layout of the old one (a string, or an array laid out as it was). */
function sourceValue(old: SourceSpan, lines: readonly string[], oldElements: readonly string[] | undefined, keep: ReadonlyMap<number, string>, asciiOnly: boolean, indent: string): string {
  const str = (t: string) => {
    const j = JSON.stringify(t);
    return asciiOnly ? j.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : j;
  };
  if (!old.raw.startsWith('[')) return str(lines.join(''));
  if (lines.length === 0) return '[]';
  const elements = lines.map((l, k) => keep.get(k) ?? str(l));
  const inner = /^\[([ \t\r\n]*)/.exec(old.raw)?.[1] ?? '';
  const close = /([ \t\r\n]*)\]$/.exec(old.raw)?.[1] ?? '';
  if (oldElements && oldElements.length > 0) return `[${inner}${elements.join(`,${inner || ' '}`)}${close}]`;
  // `[]` before: nbformat's layout (indent 1), one level deeper than the line of "source".
  return `[\n${indent} ${elements.join(`,\n${indent} `)}\n${indent}]`;
}

export interface NotebookFixResult extends FixResult {
  /** Why nothing was written, when the fixes could not be carried back to the cells. */
  readonly refused?: string;
}

/** Applies the fixable findings' fixes to a notebook's JSON text; the text is unchanged when nothing applies. */
export function fixNotebook(json: string, options: CheckOptions): NotebookFixResult {
  const joined = joinNotebookCells(json);
  const fixed = fixPython(joined.text, options);
  if (fixed.text === joined.text) return { ...fixed, text: json };
  const nb = JSON.parse(json) as { cells: { cell_type?: unknown; source?: unknown }[] };
  const spans = sourceSpans(json);
  // Each code cell's original lines (with endings), and whether it is a %%magic cell.
  const cells = joined.cells.map((c, k) => {
    const index = c.index - 1;
    const source = nb.cells[index].source;
    const text = Array.isArray(source) ? source.filter((x): x is string => typeof x === 'string').join('') : typeof source === 'string' ? source : '';
    const lines = text === '' ? [''] : withEndings(text);
    const elements = Array.isArray(source) && source.every((x) => typeof x === 'string') ? (source as string[]) : undefined;
    const count = (k + 1 < joined.cells.length ? joined.cells[k + 1].firstLine : joined.text.split('\n').length - 1) - c.firstLine;
    return { index, lines, elements, magic: /^%%/.test(lines[0] ?? ''), count, out: [] as { line: string; old?: number }[] };
  });
  if (cells.some((c) => c.lines.length !== c.count)) return { text: json, applied: [], refused: 'a cell with line endings other than \\n and \\r\\n' };
  const cellOf: number[] = [];
  cells.forEach((c, k) => {
    for (let n = 0; n < c.count; n++) cellOf.push(k);
  });
  const before = joined.text.split('\n').slice(0, -1);
  const after = fixed.text.split('\n');
  if (after[after.length - 1] === '') after.pop();
  const lineIn = (old: number) => old - joined.cells[cellOf[old]].firstLine;
  const parts = diffArrays(before, after);
  let old = 0;
  const refuse = (why: string): NotebookFixResult => ({ text: json, applied: [], refused: why });
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (!part.added && !part.removed) {
      for (let n = 0; n < part.value.length; n++, old++) cells[cellOf[old]].out.push({ line: cells[cellOf[old]].lines[lineIn(old)], old: lineIn(old) });
      continue;
    }
    // A change: the removed lines of consecutive parts, and the lines that replace them.
    let removed = 0;
    const added: string[] = [];
    for (; p < parts.length && (parts[p].added || parts[p].removed); p++) {
      if (parts[p].removed) removed += parts[p].value.length;
      else added.push(...parts[p].value);
    }
    p--;
    let target: number;
    if (removed > 0) {
      for (let n = old; n < old + removed; n++) if (cells[cellOf[n]].magic || before[n] !== cells[cellOf[n]].lines[lineIn(n)].replace(/\r?\n$/, '')) return refuse('a fix would change a line that is not Python (IPython magic)');
      target = cellOf[old];
      old += removed;
    } else target = old > 0 ? cellOf[old - 1] : 0;
    // Never into a %%magic cell: the next code cell's start instead.
    let atStart = removed === 0 && old === 0;
    while (cells[target]?.magic) {
      target++;
      atStart = true;
    }
    if (!cells[target]) return refuse('no code cell to hold the fix');
    const lines = added.map((l) => ({ line: `${l}\n` }));
    if (atStart && removed === 0) cells[target].out.unshift(...lines);
    else cells[target].out.push(...lines);
  }
  const asciiOnly = !/[^\x00-\x7f]/.test(json) && /\\u[0-9a-fA-F]{4}/.test(json);
  let text = json;
  for (let k = cells.length - 1; k >= 0; k--) {
    const c = cells[k];
    // An empty cell reads as one empty line: it is no line to keep once code goes in.
    if (c.lines.length === 1 && c.lines[0] === '' && c.out.length > 1) c.out = c.out.filter((o) => o.old === undefined);
    // New and changed lines take the cell's line ending (CRLF where its first line has one).
    const eol = c.lines[0]?.endsWith('\r\n') ? '\r\n' : '\n';
    const out = c.out.map((o) => (o.old === undefined && eol === '\r\n' ? o.line.replace(/\n$/, eol) : o.line));
    // The cell's last line keeps the ending it had (nbformat stores none).
    const hadEnd = (c.lines[c.lines.length - 1] ?? '\n').endsWith('\n');
    for (let n = 0; n < out.length; n++) if (!out[n].endsWith('\n')) out[n] += eol;
    if (!hadEnd && out.length > 0) out[out.length - 1] = out[out.length - 1].replace(/\r?\n$/, '');
    if (out.join('') === c.lines.join('')) continue;
    const span = spans[c.index];
    if (!span) return refuse('a cell without a "source" key');
    // Unchanged lines keep their raw JSON (escapes and all) where the source is one element per line.
    const keep = new Map<number, string>();
    const oneLineEach = c.elements !== undefined && c.elements.length === c.lines.length && c.elements.every((e, n) => e === c.lines[n]);
    if (oneLineEach && span.raw.startsWith('[')) {
      const raws = rawElements(span.raw);
      c.out.forEach((o, n) => {
        if (o.old !== undefined && out[n] === c.lines[o.old] && raws[o.old] !== undefined) keep.set(n, raws[o.old]);
      });
    }
    // The indentation of the line that holds "source".
    const indent = /^[ \t]*/.exec(json.slice(json.lastIndexOf('\n', span.from) + 1, span.from))?.[0] ?? '';
    text = text.slice(0, span.from) + sourceValue(span, out, c.elements, keep, asciiOnly, indent) + text.slice(span.to);
  }
  return { ...fixed, text };
}

/** The raw texts of an array's string elements. */
function rawElements(raw: string): string[] {
  const s = new Scanner(raw);
  const out: string[] = [];
  s.array(() => {
    const v = s.value();
    out.push(raw.slice(v.from, v.to));
  });
  return out;
}
