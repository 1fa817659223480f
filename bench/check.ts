/**
 * `initlens check` over the whole of Debian's python3-torch package (issue 15):
 * wall time with --jobs 1 and --jobs 2, interleaved in the same run, the
 * 2-vs-1 ratio, and the peak RSS of the whole process (its worker threads
 * included: `process.resourceUsage().maxRSS` read in the child as it exits).
 * Each run is the built `dist/cli.js` in a fresh process, as a user runs it;
 * the outputs of both job counts must be identical. Targets (issue 15, on the
 * 2-core machine): <= 10 s, >= 1.8x on 2 workers, <= 500 MB.
 *   node esbuild.js && node esbuild.js --tests && node out/bench/check.js [ROUNDS]
 * INITLENS_BENCH_TORCH names another folder to check.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const TORCH = process.env.INITLENS_BENCH_TORCH ?? '/usr/lib/python3/dist-packages/torch';

/**
 * Runs the CLI as `node dist/cli.js check ...` would, and writes the process's
 * peak RSS (kilobytes, every thread's memory) and CPU seconds (every thread,
 * V8's own included) to fd 3 when it exits.
 */
const CHILD = `
const fs = require('node:fs');
process.on('exit', () => {
  const u = process.resourceUsage();
  fs.writeSync(3, JSON.stringify({ rss: u.maxRSS, cpu: (u.userCPUTime + u.systemCPUTime) / 1e6 }));
});
require(process.argv[1]);
`;

interface Run {
  readonly jobs: number;
  readonly seconds: number;
  readonly rssMb: number;
  /** CPU seconds of all the process's threads. */
  readonly cpu: number;
  readonly summary: string;
  readonly stdout: string;
  readonly load: number;
}

function runCheck(jobs: number): Run {
  const load = os.loadavg()[0];
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', CHILD, '--', CLI, 'check', TORCH, '--jobs', String(jobs)], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`check --jobs ${jobs} exited ${r.status}: ${r.stderr}`);
  const summary = r.stderr.split('\n').filter(Boolean).pop() ?? '';
  const usage = JSON.parse((r.output[3] as unknown as string | null) || '{"rss":null,"cpu":null}') as { rss: number; cpu: number };
  return { jobs, seconds, rssMb: usage.rss / 1024, cpu: usage.cpu, summary, stdout: r.stdout, load };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node esbuild.js first`);
  if (!fs.existsSync(TORCH)) {
    console.log(`${TORCH} is not here (apt-get install python3-torch): nothing measured.`);
    return;
  }
  const rounds = Math.max(1, Number(process.argv[2] ?? 3));
  console.log(`initlens check ${TORCH}: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  // One unmeasured run: the files in the page cache, as in every measured run.
  runCheck(2);
  const runs: Run[] = [];
  for (let i = 0; i < rounds; i++) {
    // Interleaved, the order alternating, so that a change of load hits both.
    for (const jobs of i % 2 ? [2, 1] : [1, 2]) {
      const r = runCheck(jobs);
      runs.push(r);
      console.log(`  round ${i + 1} --jobs ${jobs}: ${r.seconds.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, peak RSS ${r.rssMb.toFixed(0)} MB, load ${r.load.toFixed(2)} (${r.summary})`);
    }
  }
  const one = runs.filter((r) => r.jobs === 1);
  const two = runs.filter((r) => r.jobs === 2);
  if (runs.some((r) => r.stdout !== runs[0].stdout)) throw new Error('the outputs of --jobs 1 and --jobs 2 differ');
  const pairs = one.map((r, i) => r.seconds / two[i].seconds);
  const best1 = Math.min(...one.map((r) => r.seconds));
  const best2 = Math.min(...two.map((r) => r.seconds));
  const rss = Math.max(...runs.map((r) => r.rssMb));
  console.log(`--jobs 1: best ${best1.toFixed(2)} s, median ${median(one.map((r) => r.seconds)).toFixed(2)} s`);
  console.log(`--jobs 2: best ${best2.toFixed(2)} s, median ${median(two.map((r) => r.seconds)).toFixed(2)} s (target <= 10 s: ${best2 <= 10 ? 'met' : 'missed'})`);
  console.log(`2 vs 1: best/best ${(best1 / best2).toFixed(2)}x, per round ${pairs.map((p) => p.toFixed(2)).join(' ')}, median ${median(pairs).toFixed(2)}x (target >= 1.8x: ${best1 / best2 >= 1.8 ? 'met' : 'missed'})`);
  console.log(`CPU seconds (all threads): --jobs 1 median ${median(one.map((r) => r.cpu)).toFixed(2)}, --jobs 2 median ${median(two.map((r) => r.cpu)).toFixed(2)}`);
  console.log(`peak RSS: ${rss.toFixed(0)} MB (target <= 500 MB: ${rss <= 500 ? 'met' : 'missed'})`);
}

main();
