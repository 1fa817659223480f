/**
 * Line arithmetic on document text for edit plans: where a line starts and
 * ends (before `\n` or `\r\n`), its indentation, the file's line ending, and
 * where a block's last non-blank line ends.
 */

/** Start of the line containing `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** End of the line containing `offset`, before its `\n` or `\r\n`. */
export function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  if (i === -1) return text.length;
  return i > 0 && text[i - 1] === '\r' ? i - 1 : i;
}

/** Start of the line after the one containing `offset`. */
export function nextLineStart(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i === -1 ? text.length : i + 1;
}

/** The spaces and tabs that start the line containing `offset`. */
export function indentOf(text: string, offset: number): string {
  return /^[ \t]*/.exec(text.slice(lineStart(text, offset)))?.[0] ?? '';
}

/** The file's line ending: CRLF when it has any, else LF. */
export function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** End of a block's last non-blank line (lezer spans of bodies include trailing blank lines). */
export function blockEnd(text: string, span: { from: number; to: number }): number {
  let end = span.to;
  while (end > span.from && /\s/.test(text[end - 1])) end--;
  return lineEnd(text, end);
}
