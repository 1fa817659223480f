/**
 * Python parsing for the rest of `core`: a thin layer over the lezer Python
 * parser (generated from the patched grammar in ./lezer, which reads every file
 * CPython accepts) that adds incremental re-parsing from text edits and a few
 * tree queries.
 *
 * Lezer trees are immutable and error-tolerant: a document that does not parse
 * still yields a tree, with error nodes (`⚠`) where the grammar gave up. Callers
 * that must refuse broken files (edits) ask {@link syntaxErrors}; read-only
 * features (hovers, lenses) work on whatever did parse.
 */
import { parser as pythonParser } from './lezer/parser.js';
import { NodeType, Tree, TreeBuffer, TreeFragment, type ChangedRange, type SyntaxNode } from '@lezer/common';

export type { SyntaxNode, Tree } from '@lezer/common';

/**
 * Lezer keeps small subtrees in flat buffers of up to `bufferLength` nodes and
 * can only reuse a buffer whole: with the default (1024) one keystroke
 * re-parses several neighbouring classes. Smaller buffers make reuse finer but
 * tree walks slower (more node objects); 256 was the best balance measured with
 * bench/parse.ts and bench/analysis.ts (one-keystroke re-parse 1.14 → 0.35 ms on
 * 6.6k lines; re-analysis median at 1k lines 1.7 → 1.05 ms; see the README).
 */
const parser = pythonParser.configure({ bufferLength: 256 });

/**
 * @lezer/lr forces the parse out of a construct after 300 reductions of 2,000+
 * characters that share a start (a guard against too-deep left-nested trees).
 * It means to count only named nodes, but terms that are no tree node at all
 * (the skip rule that reads each blank or comment line) have no entry in the
 * node set and count too: a block with 300 blank or comment lines past its
 * first 2,000 characters got an error node wherever the count ran out
 * (torch/_torch_docs.py, sympy's rubi rules). Anonymous entries for those
 * terms make the guard skip them, as it skips other anonymous terms; they
 * never appear in a tree.
 */
const maxTerm = (parser as unknown as { readonly maxTerm: number }).maxTerm;
for (let id = parser.nodeSet.types.length; id <= maxTerm; id++) {
  (parser.nodeSet.types as NodeType[]).push(NodeType.define({ id }));
}

/** One replacement in a document, in offsets of the text before the edit. */
export interface TextEdit {
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

/** Parses `text` from scratch. */
export function parsePython(text: string): Tree {
  return parser.parse(text);
}

/**
 * A document's text and tree, kept up to date edit by edit. Each batch of edits
 * shifts the reusable fragments of the previous tree, and the next {@link tree}
 * call re-parses only what the edits touched (lezer's `TreeFragment` reuse).
 */
export class IncrementalParser {
  private current: string;
  private parsed: Tree | undefined;
  private fragments: readonly TreeFragment[] = [];

  constructor(text: string) {
    this.current = text;
  }

  get text(): string {
    return this.current;
  }

  /**
   * Applies one batch of edits. All offsets refer to the text before the batch
   * and the edits must not overlap (the shape of a VS Code change event).
   */
  applyEdits(edits: readonly TextEdit[]): void {
    if (edits.length === 0) return;
    const sorted = [...edits].sort((a, b) => a.offset - b.offset);
    const changes: ChangedRange[] = [];
    let delta = 0;
    let previousEnd = 0;
    let text = '';
    for (const edit of sorted) {
      if (edit.offset < previousEnd || edit.offset + edit.length > this.current.length) {
        throw new RangeError(`overlapping or out-of-range edit at offset ${edit.offset}`);
      }
      text += this.current.slice(previousEnd, edit.offset) + edit.text;
      // Unchanged text between `reach` and the edit: the range grows by the
      // same amount on both sides.
      const back = edit.offset - reachBack(this.current, edit.offset);
      const change = {
        fromA: edit.offset - back,
        toA: edit.offset + edit.length,
        fromB: edit.offset + delta - back,
        toB: edit.offset + delta + edit.text.length,
      };
      const last = changes[changes.length - 1];
      if (last && change.fromA <= last.toA) changes[changes.length - 1] = { ...last, toA: change.toA, toB: change.toB };
      else changes.push(change);
      delta += edit.text.length - edit.length;
      previousEnd = edit.offset + edit.length;
    }
    text += this.current.slice(previousEnd);
    this.fragments = TreeFragment.applyChanges(this.fragments, changes);
    this.parsed = undefined;
    this.current = text;
  }

  /** Replaces the whole text (a document reopened or reverted). */
  reset(text: string): void {
    this.current = text;
    this.parsed = undefined;
    this.fragments = [];
  }

  /**
   * The tree of the current text, re-using what the last parse left valid.
   * Always the tree a fresh parse gives. Lezer's error recovery depends on
   * where a parse starts, and subtrees of a tree with errors were read under
   * that recovery, so only an error-free tree lends fragments, and a text
   * with a syntax error is parsed afresh (the error check visits only the
   * nodes a parse did not reuse, see {@link hasErrorNode}). A reused
   * statement can also land in the wrong block (see {@link blocksAligned});
   * that text is parsed afresh too.
   */
  get tree(): Tree {
    if (!this.parsed) {
      let tree = parser.parse(this.current, this.fragments);
      let errors = hasErrorNode(tree);
      if (this.fragments.length > 0 && (errors || !blocksAligned(tree, this.current))) {
        tree = parser.parse(this.current);
        errors = hasErrorNode(tree);
      }
      this.parsed = tree;
      this.fragments = errors ? [] : TreeFragment.addTree(tree);
    }
    return this.parsed;
  }
}

const isLineBreak = (code: number): boolean => code === 10 || code === 13;
const BLANK_OR_COMMENT = /^[ \t\f]*(?:#.*)?$/;

/**
 * How far back an edit at `offset` can change the tree. A block ends at the
 * dedent before the next line with code, however many blank and comment lines
 * lie between, so an edit on a line (its indentation included) can move the
 * end of every block above it back to the last line with code. Lezer only
 * re-checks the 25 characters before a change, and would otherwise reuse those
 * blocks with their old ends (a phantom syntax error, or a statement in the
 * wrong block). Returns the end of that last code line, or 0.
 */
function reachBack(text: string, offset: number): number {
  let lineStart = offset;
  while (lineStart > 0 && !isLineBreak(text.charCodeAt(lineStart - 1))) lineStart--;
  for (;;) {
    let end = lineStart;
    while (end > 0 && isLineBreak(text.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && !isLineBreak(text.charCodeAt(start - 1))) start--;
    if (end === 0 || !BLANK_OR_COMMENT.test(text.slice(start, end))) return end;
    lineStart = start;
  }
}

/** Nodes that hold statements, one per line at the block's indentation. */
const BLOCKS = new Set(['Script', 'Body', 'MatchBody']);
/** Nodes whose children may hold blocks: the blocks and the statements (compound ones hold bodies). */
const holdsBlocks = (name: string): boolean => BLOCKS.has(name) || name.endsWith('Statement') || name.endsWith('Definition') || name === 'MatchClause';
/** Subtrees already checked by {@link blocksAligned} (immutable, shared between versions). */
const alignedMemo = new WeakSet<Tree>();

/** The column of `offset` when it starts its line (tabs to the next multiple of 8, as CPython), else -1. */
function lineStartColumn(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && !isLineBreak(text.charCodeAt(start - 1))) start--;
  let column = 0;
  for (let i = start; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) column++;
    else if (c === 9) column += 8 - (column % 8);
    else if (c === 12) column = 0;
    else return -1;
  }
  return column;
}

/**
 * Whether every block's statements that start a line start at one column
 * (column 0 at the top level). True of every tree a fresh parse gives for
 * error-free text. @lezer/lr 1.4 can break it when it re-parses: a node
 * reused from the previous tree carries the context hash it was stored with,
 * and a statement stored right after a dedent of several levels can carry the
 * innermost level's hash, so a re-parse of the block above takes it in before
 * the dedent is read (a top-level `if __name__ == "__main__":` inside the
 * method before it). Subtrees checked before are skipped (reused subtrees are
 * the same objects), so a keystroke checks only the re-parsed nodes.
 */
export function blocksAligned(tree: Tree, text: string): boolean {
  const cursor = tree.cursor();
  const check = (): boolean => {
    const own = cursor.tree;
    if (own && alignedMemo.has(own)) return true;
    const block = BLOCKS.has(cursor.name);
    let column = block && cursor.name === 'Script' ? 0 : undefined;
    if (cursor.firstChild()) {
      do {
        if (block && cursor.name !== 'Comment') {
          const at = lineStartColumn(text, cursor.from);
          if (at >= 0 && at !== (column ??= at)) return false;
        }
        if (holdsBlocks(cursor.name) && !check()) return false;
      } while (cursor.nextSibling());
      cursor.parent();
    }
    if (own) alignedMemo.add(own);
    return true;
  };
  return check();
}

/** Whether each (immutable, shared between versions) subtree holds an error node. */
const errorMemo = new WeakMap<Tree | TreeBuffer, boolean>();

/**
 * Whether `tree` holds an error node. Subtrees that an incremental parse
 * reused are the same objects as before and answer from a memo, so after a
 * keystroke only the re-parsed nodes are visited.
 */
export function hasErrorNode(tree: Tree | TreeBuffer): boolean {
  const known = errorMemo.get(tree);
  if (known !== undefined) return known;
  let found = false;
  if (tree instanceof TreeBuffer) {
    const { buffer, set } = tree;
    for (let i = 0; i < buffer.length && !found; i += 4) found = set.types[buffer[i]].isError;
  } else {
    found = tree.type.isError || tree.children.some((child) => hasErrorNode(child as Tree | TreeBuffer));
  }
  errorMemo.set(tree, found);
  return found;
}

/** A place where the parser could not follow the grammar. */
export interface SyntaxProblem {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Every error node of `tree`, in document order, with 0-based line and column. */
export function syntaxErrors(tree: Tree, text: string): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        const { line, column } = lineColumn(text, node.from);
        problems.push({ offset: node.from, line, column });
      }
    },
  });
  return problems;
}

/**
 * Line breaks in `text[from, to)`: `\r\n`, `\n` or a lone `\r`, as CPython's
 * universal newlines count them (a `\r\n` split by `to` counts once, at its
 * `\n`). Runs on every keystroke over the whole document, so it searches with
 * indexOf (memchr) rather than looking at every character.
 */
export function lineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  // A search for a \r that is not there would scan to the end of the text at every call.
  if (hasCarriageReturn(text)) for (let i = text.indexOf('\r', from); i !== -1 && i < to; i = text.indexOf('\r', i + 1)) if (text.charCodeAt(i + 1) !== 10) n++;
  return n;
}

/** The last text asked about, and whether it holds a `\r` (callers ask about one document many times in a row). */
let crText = '';
let crFound = false;
function hasCarriageReturn(text: string): boolean {
  if (text !== crText) {
    crText = text;
    crFound = text.includes('\r');
  }
  return crFound;
}

/** 0-based line and column (in UTF-16 units) of `offset`; lines break as {@link lineBreaks} counts them. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const end = Math.min(offset, text.length);
  const lineStart = Math.max(text.lastIndexOf('\n', end - 1), text.lastIndexOf('\r', end - 1)) + 1;
  return { line: lineBreaks(text, 0, end), column: offset - lineStart };
}

/**
 * The dotted name an expression spells (`np.random.seed` → `['np','random','seed']`),
 * or undefined for anything that is not a chain of plain names and attributes
 * (calls, subscripts, literals).
 */
export function dottedName(node: SyntaxNode, text: string): string[] | undefined {
  if (node.name === 'VariableName') return [text.slice(node.from, node.to)];
  if (node.name !== 'MemberExpression') return undefined;
  const object = node.firstChild;
  const property = node.lastChild;
  if (!object || !property || property.name !== 'PropertyName') return undefined;
  const head = dottedName(object, text);
  return head && [...head, text.slice(property.from, property.to)];
}
