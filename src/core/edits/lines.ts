/**
 * Line arithmetic on document text for edit plans: where a line starts and
 * ends, its indentation, the file's line ending, and where a block's last
 * non-blank line ends. A line break is `\r\n`, `\n` or a lone `\r`, as for
 * CPython's tokenizer (universal newlines).
 */
import { lineBreaks } from '../python/parse';

/** Start of the line containing `offset`. */
export function lineStart(text: string, offset: number): number {
  for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i + 1;
  }
  return 0;
}

/** End of the line containing `offset`, before its line break. */
export function lineEnd(text: string, offset: number): number {
  for (let i = Math.max(offset, 0); i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Inside a CRLF pair, the line ended at the CR.
    if (c === 13) return i;
    if (c === 10) return i > 0 && text.charCodeAt(i - 1) === 13 ? i - 1 : i;
  }
  return text.length;
}

/** Start of the line after the one containing `offset` (the text's length on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const end = lineEnd(text, offset);
  if (end >= text.length) return text.length;
  return text.startsWith('\r\n', end) ? end + 2 : end + 1;
}

/** The spaces and tabs that start the line containing `offset`. */
export function indentOf(text: string, offset: number): string {
  const start = lineStart(text, offset);
  let end = start;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  return text.slice(start, end);
}

/** The file's line ending: CRLF when it has any, CR when it breaks lines only with lone CRs, else LF. */
export function eolOf(text: string): string {
  if (text.includes('\r\n')) return '\r\n';
  return text.includes('\r') && !text.includes('\n') ? '\r' : '\n';
}

/** The text's lines without their breaks. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** 0-based line of `offset`. */
export function lineIndex(text: string, offset: number): number {
  return lineBreaks(text, 0, offset);
}

/** End of a block's last non-blank line (lezer spans of bodies include trailing blank lines). */
export function blockEnd(text: string, span: { from: number; to: number }): number {
  let end = span.to;
  while (end > span.from && /\s/.test(text[end - 1])) end--;
  return lineEnd(text, end);
}
