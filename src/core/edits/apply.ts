/** Text edits applied to a string, as the editor applies a `WorkspaceEdit` (for the CLI and tests). */
import type { TextEdit } from '../python/parse';

/** Applies non-overlapping edits to `text` in one pass (linear in the text and the edits); overlapping edits are a planning error and throw. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  const parts: string[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e.offset < at || e.offset + e.length > text.length) throw new RangeError(`overlapping or out-of-range text edits at offset ${e.offset}`);
    parts.push(text.slice(at, e.offset), e.text);
    at = e.offset + e.length;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
