/**
 * Just enough of Python's lexical rules for edit plans to land on code and
 * never inside a comment or a string: where an argument list's last argument
 * ends, where a compound statement's header ends, and whether its body is on
 * the same line. Each scan covers one call or one header (bounded by the
 * span it is given).
 */
import { lineEnd } from './lines';
import type { TextEdit } from '../python/parse';

/**
 * Calls `visit` for each token character of code in `[from, to)`: whitespace
 * and comments are skipped, a string literal is reported once, from its
 * opening to its closing quote, with `inString` true. Stops early when
 * `visit` returns true.
 */
function scanCode(text: string, from: number, to: number, visit: (start: number, last: number, inString: boolean) => boolean | void): void {
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\\') continue;
    if (c === '#') {
      i = lineEnd(text, i) - 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c + c + c, i);
      const quote = triple ? c + c + c : c;
      let j = i + quote.length;
      while (j < to && !text.startsWith(quote, j)) j += text[j] === '\\' ? 2 : 1;
      const start = i;
      i = Math.min(j + quote.length, to) - 1;
      if (visit(start, i, true)) return;
      continue;
    }
    if (visit(i, i, false)) return;
  }
}

/** The offset just after the last code in `[from, to)` (strings included, comments not), or `from` when there is none. */
export function codeEnd(text: string, from: number, to: number): number {
  let end = from;
  scanCode(text, from, to, (_start, last) => void (end = last + 1));
  return end;
}

/**
 * The text of the first argument of a call whose argument list opens just
 * before `from` (`getattr(self.head, "o()ut").weight` whole: brackets and
 * strings nest), up to the `,` or `)` that ends it at depth 0 within `[from, to)`;
 * undefined when none ends there.
 */
export function firstArgument(text: string, from: number, to: number): string | undefined {
  let depth = 0;
  let first = -1;
  let end = -1;
  scanCode(text, from, to, (start, _last, inString) => {
    const c = text[start];
    if (!inString && depth === 0 && (c === ',' || c === ')')) {
      end = start;
      return true;
    }
    if (first < 0) first = start;
    if (!inString && '([{'.includes(c)) depth++;
    if (!inString && ')]}'.includes(c)) depth--;
    return false;
  });
  return end > first && first >= 0 ? text.slice(first, end).trimEnd() : undefined;
}

/**
 * `extra` (`name=value` arguments) appended to the call whose closing
 * parenthesis is at `close`: after its last argument, with a comma when one is
 * needed, and before any comment on that line.
 */
export function appendArgumentsAt(text: string, callFrom: number, close: number, extra: string): TextEdit {
  const at = codeEnd(text, callFrom, close);
  const last = text[at - 1];
  return { offset: at, length: 0, text: `${last === '(' ? '' : last === ',' ? ' ' : ', '}${extra}` };
}

/** The header of the compound statement starting at `from`: the offset of its `:` and where its body's first code is. */
export function compoundHeader(text: string, from: number, to: number): { colon: number; bodyStart: number; inline: boolean } | undefined {
  let depth = 0;
  let colon = -1;
  scanCode(text, from, to, (i, _last, inString) => {
    if (inString) return false;
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0 && text[i + 1] !== '=') {
      colon = i;
      return true;
    }
    return false;
  });
  if (colon === -1) return undefined;
  let bodyStart = -1;
  scanCode(text, colon + 1, to, (start) => {
    bodyStart = start;
    return true;
  });
  if (bodyStart === -1) return undefined;
  return { colon, bodyStart, inline: lineEnd(text, colon) >= bodyStart };
}
