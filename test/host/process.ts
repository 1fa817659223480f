/**
 * Child processes the test hosts start, tracked so that every one of them (and
 * its process group: code-server's extension hosts, chromium's helpers) is
 * stopped when the run ends, however it ends.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';

const groups = new Set<number>();

/** Kills every tracked process group (synchronously: also usable in `exit`). */
export function killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // already gone
    }
  }
  groups.clear();
}

process.on('exit', () => killAll());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface Detached {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** SIGTERM to the group, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command` in a process group of its own, output appended to `logFile`. */
export function spawnDetached(command: string, args: string[], options: SpawnOptions & { logFile: string }): Detached {
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  groups.add(pid);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid,
    exited,
    async stop(graceMs = 3000) {
      if (!groups.has(pid)) return;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        groups.delete(pid);
        return;
      }
      const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs));
      await Promise.race([exited, timer]);
      try {
        process.kill(-pid, 'SIGKILL'); // the group may outlive its leader
      } catch {
        // gone
      }
      groups.delete(pid);
    },
  };
}

/** Runs a command to completion, throwing with its output when it fails. */
export function runOrThrow(command: string, args: string[], options: SpawnOptions = {}): string {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
  return result.stdout;
}

/** Kills processes whose environment carries `tag` (chromium helpers that escaped their group). */
export function killTagged(tag: string): void {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(tag)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // exited, or not ours to read
    }
  }
}
