/**
 * Sampling throughput: 4096×4096 kaiming_normal_ (fan_in, relu) + a 100-bin
 * histogram, in this thread and on the worker pool, against peers measured in
 * the same run: numpy `default_rng().standard_normal(n, float32)` +
 * `np.histogram`, and `torch.empty(n).normal_()` + `torch.histc` with 1 and 2
 * threads (Debian's python3-numpy / python3-torch under /usr/bin/python3).
 * Also: time to the first histogram and peak RSS growth for
 * nn.Embedding(250000, 4096) (1.024e9 weights), the pure-JS tfjs adapter, and
 * the seedrandom generators the engine's PRNG was chosen against.
 *   npm run bench
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { TfjsBackend, type TfjsModule } from '../src/core/sampling/backends';
import { tallyChunk } from '../src/core/sampling/chunk';
import { sampleCpu } from '../src/core/sampling/engine';
import { emptyTally, mergeTally } from '../src/core/sampling/histogram';
import { planSampling, type SampleRequest } from '../src/core/sampling/plan';
import { SamplingPool } from '../src/core/sampling/pool';
import { chunkState, fillStandardNormal } from '../src/core/sampling/prng';

const N = 4096 * 4096;
const request: SampleRequest = { scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, shape: [4096, 4096], seed: 0, bins: 100 };
const PYTHON = '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeMs(runs: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up (JIT, worker start)
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const rate = (n: number, ms: number) => n / ms / 1e3; // million samples per second

/** The peers, in one Python process: medians of 5 after a warm-up, in M samples/s. */
const PEER_SCRIPT = `
import json, sys, time
out = {}
n = ${N}
def med(f):
    f(); ts = []
    for _ in range(5):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return n / sorted(ts)[2] / 1e6
try:
    import numpy as np
    rng = np.random.default_rng(0)
    out['numpy'] = med(lambda: np.histogram(rng.standard_normal(n, dtype=np.float32), bins=100, range=(-4, 4)))
    out['numpy_version'] = np.__version__
except ImportError as e:
    out['numpy_error'] = str(e)
try:
    import torch
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        out['torch%d' % threads] = med(lambda: torch.histc(torch.empty(n).normal_(), bins=100, min=-4, max=4))
    out['torch_version'] = torch.__version__
except ImportError as e:
    out['torch_error'] = str(e)
print(json.dumps(out))
`;

interface Peers {
  numpy?: number;
  numpy_version?: string;
  torch1?: number;
  torch2?: number;
  torch_version?: string;
  numpy_error?: string;
  torch_error?: string;
}

function peers(): Peers | string {
  const r = spawnSync(PYTHON, ['-c', PEER_SCRIPT], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return `${PYTHON} not found (${(r.error as NodeJS.ErrnoException).code})`;
  if (r.status !== 0) return `${PYTHON} failed: ${r.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(r.stdout) as Peers;
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'cpu';
  console.log(`\nsampling benchmark: 4096×4096 kaiming_normal_ + 100-bin histogram (${N} samples); ${cpu}, ${os.availableParallelism()} threads, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);

  // PRNG candidates (int32 draws), the basis of the README's choice.
  const draws = 2e7;
  for (const name of ['alea', 'xor4096', 'xorwow', 'tychei'] as const) {
    const rng = seedrandom[name]('0');
    const ms = await timeMs(3, () => {
      let x = 0;
      for (let i = 0; i < draws; i++) x ^= rng.int32();
      return x;
    });
    console.log(`  prng seedrandom.${name.padEnd(8)} ${rate(draws, ms).toFixed(0).padStart(5)} M int32/s`);
  }
  const xoshiro = await timeMs(3, () => {
    // xoshiro128** with its state in locals, as the engine's loops run it.
    let a = 1;
    let b = 2;
    let c = 3;
    let d = 4;
    let x = 0;
    for (let i = 0; i < draws; i++) {
      const m = Math.imul(b, 5);
      x ^= Math.imul((m << 7) | (m >>> 25), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
    }
    return x;
  });
  console.log(`  prng xoshiro128** (locals)  ${rate(draws, xoshiro).toFixed(0).padStart(5)} M int32/s`);
  const buf = new Float64Array(4096);
  const state = chunkState(0n, 0);
  const zig = await timeMs(3, () => {
    for (let i = 0; i < draws; i += 4096) fillStandardNormal(state, buf, 4096);
  });
  console.log(`  ziggurat normals (xoshiro128** inlined) ${rate(draws, zig).toFixed(0)} M/s`);

  const plan = planSampling(request);
  const single = await timeMs(5, () => {
    const total = emptyTally(100);
    for (let c = 0; c < plan.chunks; c++) mergeTally(total, tallyChunk(plan, c));
  });
  const pool = new SamplingPool();
  const pooled = await timeMs(5, () => sampleCpu(request, { pool }));
  const singleRate = rate(N, single);
  const poolRate = rate(N, pooled);
  console.log(`  InitLens single thread     ${singleRate.toFixed(1).padStart(6)} M/s  (${single.toFixed(0)} ms)`);
  console.log(`  InitLens pool (${pool.size} workers) ${poolRate.toFixed(1).padStart(6)} M/s  (${pooled.toFixed(0)} ms)`);

  const tfjs = new TfjsBackend(tf as TfjsModule, 'tfjs', 'benchmark');
  const small: SampleRequest = { ...request, shape: [1024, 4096] };
  const tfMs = await timeMs(2, () => tfjs.sample(small));
  console.log(`  tfjs adapter (pure-JS cpu backend, 1024×4096) ${rate(1024 * 4096, tfMs).toFixed(1)} M/s`);

  const p = peers();
  if (typeof p === 'string') {
    console.log(`  skipped: ${PYTHON} with torch not found (${p})`);
    console.log(`  skipped: ${PYTHON} with numpy not found (${p})`);
  } else {
    if (p.numpy !== undefined) {
      console.log(`  numpy ${p.numpy_version} standard_normal+histogram ${p.numpy.toFixed(1).padStart(6)} M/s   single thread vs numpy: ${(singleRate / p.numpy).toFixed(2)}x (target ≥ 1.0)`);
    } else console.log(`  skipped: ${PYTHON} with numpy not found (${p.numpy_error})`);
    if (p.torch1 !== undefined && p.torch2 !== undefined) {
      console.log(`  torch ${p.torch_version} normal_+histc, 1 thread   ${p.torch1.toFixed(1).padStart(6)} M/s   single thread vs torch 1: ${(singleRate / p.torch1).toFixed(2)}x`);
      console.log(`  torch ${p.torch_version} normal_+histc, 2 threads  ${p.torch2.toFixed(1).padStart(6)} M/s   pool vs torch 2: ${(poolRate / p.torch2).toFixed(2)}x (target ≥ 1.0)`);
    } else console.log(`  skipped: ${PYTHON} with torch not found (${p.torch_error})`);
  }

  // nn.Embedding(250000, 4096): first histogram latency, full time, RSS growth.
  const embedding: SampleRequest = { scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [250000, 4096], seed: 0 };
  const base = process.memoryUsage().rss;
  let peak = base;
  let first = -1;
  const started = performance.now();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const result = await sampleCpu(embedding, {
    pool,
    onProgress: () => {
      if (first < 0) first = performance.now() - started;
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  clearInterval(timer);
  console.log(
    `  nn.Embedding(250000, 4096): first histogram after ${first.toFixed(1)} ms (target ≤ 100), all ${result.count} in ${(result.elapsedMs / 1000).toFixed(1)} s ` +
      `(${rate(result.count, result.elapsedMs).toFixed(0)} M/s), peak RSS growth ${((peak - base) / 2 ** 20).toFixed(1)} MB (target ≤ 64)`,
  );
  await pool.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
