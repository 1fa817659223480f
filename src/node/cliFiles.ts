/**
 * The CLI's file access on a real file system: sources read within their size
 * limit ({@link readBounded}) and decoded as {@link decodeSource} does, every
 * write through {@link writeFileAtomic}, and text written back in the encoding
 * its file was read with.
 */
import * as path from 'node:path';
import type { CliIo } from '../cli/run';
import { writeFileAtomic, sameFile } from './atomicWrite';
import { readBounded } from './readBounded';
import { decodeSource, encodeSource, type SourceEncoding } from './sourceText';

/** `readFile`, `writeFile` and `sameFile` of {@link CliIo}, bound to `node:fs`. */
export function nodeFiles(): Pick<CliIo, 'readFile' | 'readBytes' | 'writeFile' | 'sameFile'> {
  const encodings = new Map<string, SourceEncoding>();
  return {
    readFile: (file, limit) => {
      const { text, encoding } = decodeSource(readBounded(file, limit));
      encodings.set(path.resolve(file), encoding);
      return text;
    },
    readBytes: (file, limit) => readBounded(file, limit),
    writeFile: (file, data) => writeFileAtomic(file, typeof data === 'string' ? encodeSource(data, encodings.get(path.resolve(file)) ?? 'utf8') : data),
    sameFile,
  };
}
