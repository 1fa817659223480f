/** Reading CLI inputs without trusting their size: regular files, pipes, devices (`/dev/zero`) alike. */
import { closeSync, openSync, readSync } from 'node:fs';
import { tooLarge } from '../cli/usage';

const CHUNK = 1 << 16;

/**
 * The bytes of `file` (`-`: standard input), reading at most `limit` + 1
 * bytes: a longer input is refused with the limit, whatever its reported size
 * (pipes and devices report none).
 */
export function readBounded(file: string, limit: number): Buffer {
  // fd 0 itself: `/dev/stdin` cannot be opened when stdin is a socket (as spawn gives).
  const fd = file === '-' ? 0 : openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, limit + 1 - total);
      const chunk = Buffer.allocUnsafe(want);
      const n = readSync(fd, chunk, 0, want, null);
      if (n === 0) break;
      chunks.push(n === want ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) throw tooLarge(file);
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}
