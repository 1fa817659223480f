/**
 * The CLI's file access on a real file system: sources decoded as
 * {@link decodeSource} does, every write through {@link writeFileAtomic}, and
 * text written back in the encoding its file was read with.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from '../cli/run';
import { writeFileAtomic, sameFile } from './atomicWrite';
import { decodeSource, encodeSource, type SourceEncoding } from './sourceText';

/** `readFile`, `writeFile` and `sameFile` of {@link CliIo}, bound to `node:fs`. */
export function nodeFiles(): Pick<CliIo, 'readFile' | 'writeFile' | 'sameFile'> {
  const encodings = new Map<string, SourceEncoding>();
  return {
    readFile: (file) => {
      const { text, encoding } = decodeSource(readFileSync(file));
      encodings.set(path.resolve(file), encoding);
      return text;
    },
    writeFile: (file, data) => writeFileAtomic(file, typeof data === 'string' ? encodeSource(data, encodings.get(path.resolve(file)) ?? 'utf8') : data),
    sameFile,
  };
}
