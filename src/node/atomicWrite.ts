/**
 * The one way the CLI writes a file: the bytes go to a temporary file in the
 * target's own folder, are flushed to disk, and replace the target by
 * `rename`, so a crash, a full disk or a file-size limit (`ulimit -f`) leaves
 * either the old file or the new one, never a truncated mix. The target's
 * permission bits (and, for root, its owner) are kept; a target the user
 * cannot write is refused rather than replaced (a rename would bypass its
 * read-only mode).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Replaces `target` with `data` atomically; throws a Node `ErrnoException` when it cannot (the target is then unchanged). */
export function writeFileAtomic(target: string, data: Uint8Array): void {
  // Through a symbolic link, the file it points to is replaced and the link stays.
  let file = target;
  let kept: { mode: number; uid: number; gid: number } | undefined;
  try {
    file = fs.realpathSync(target);
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw Object.assign(new Error(`'${target}' is not a regular file`), { code: stat.isDirectory() ? 'EISDIR' : 'EINVAL' });
    fs.accessSync(file, fs.constants.W_OK);
    kept = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.initlens-${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  // 0o666 is narrowed by the umask, as for any new file; an existing file's mode is restored below.
  const fd = fs.openSync(temp, 'wx', 0o666);
  let open = true;
  let renamed = false;
  try {
    for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at);
    fs.fsyncSync(fd);
    if (kept) {
      // Only root may give a file away; for everyone else the owner is already theirs. Owner first: chown clears set-id bits.
      if (typeof process.getuid === 'function' && process.getuid() === 0) fs.fchownSync(fd, kept.uid, kept.gid);
      fs.fchmodSync(fd, kept.mode);
    }
    open = false;
    fs.closeSync(fd);
    fs.renameSync(temp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      if (open) fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
    }
  }
  // The rename itself is durable only once the folder is flushed; not every platform can fsync a folder.
  try {
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Windows and some file systems refuse to open or flush a directory.
  }
}

/** Whether two paths name the same file (same device and inode when both exist, else the same resolved path). */
export function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}
