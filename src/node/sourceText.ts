/**
 * Source files as the CLI reads and writes them: UTF-8 (the encoding Python
 * assumes, PEP 3120), or Latin-1 when the bytes are not valid UTF-8, so that
 * a rewrite gives back every byte the user had instead of U+FFFD. A UTF-8 byte
 * order mark is not part of the text (as in VS Code and CPython) and is written
 * back in front of it.
 */

/** How a file's bytes were decoded. */
export type SourceEncoding = 'utf8' | 'utf8bom' | 'latin1';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes`, and the encoding that gives these bytes back. */
export function decodeSource(bytes: Uint8Array): { text: string; encoding: SourceEncoding } {
  try {
    const text = UTF8.decode(bytes);
    return text.startsWith('\ufeff') ? { text: text.slice(1), encoding: 'utf8bom' } : { text, encoding: 'utf8' };
  } catch {
    // ISO-8859-1 maps each byte to the code point of the same value (Buffer's 'latin1', not WHATWG's windows-1252).
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), encoding: 'latin1' };
  }
}

/** Thrown when text cannot be written in its file's encoding. */
export class EncodingError extends Error {}

/** The bytes of `text` in `encoding`; throws {@link EncodingError} when Latin-1 cannot spell a character. */
export function encodeSource(text: string, encoding: SourceEncoding): Uint8Array {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (encoding === 'utf8bom') return Buffer.from(`\ufeff${text}`, 'utf8');
  const bad = /[^\u0000-\u00ff]/.exec(text);
  if (bad) throw new EncodingError(`the file is Latin-1 (not UTF-8) and the new text has '${bad[0]}', which Latin-1 cannot hold`);
  return Buffer.from(text, 'latin1');
}
