/**
 * Exact mode throughput: the emulated PyTorch CPU `normal_` (float32,
 * contiguous, the AVX2 `normal_fill` path, bit-exact) and `uniform_`, for
 * each kernel tier (core/torch/kernels.ts: fused relaxed SIMD, emulated plain
 * SIMD, scalar JavaScript), against `torch.empty(n).normal_()` /
 * `.uniform_()` with 1 thread, measured in the same run by Debian's
 * python3-torch under /usr/bin/python3. Prints ratios; without torch it
 * prints a visible "skipped" line. Single-threaded on both sides.
 *   npm run bench
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { TorchGenerator } from '../src/core/torch/generator';
import { WasmKernels, type KernelTier } from '../src/core/torch/kernels';
import { enableRelaxedSimd } from '../src/node/relaxedSimd';

enableRelaxedSimd();

const N = 1 << 22;
const PYTHON = '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeMs(runs: number, fn: () => unknown): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

/** The peer, in one Python process: medians of 7 after a warm-up, in M samples/s. */
const PEER_SCRIPT = `
import json, time
out = {}
n = ${N}
def med(f):
    f(); ts = []
    for _ in range(7):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return n / sorted(ts)[3] / 1e6
try:
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    buf = torch.empty(n)
    out['normal'] = med(lambda: buf.normal_())
    out['uniform'] = med(lambda: buf.uniform_())
    out['version'] = torch.__version__
    out['capability'] = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') and hasattr(torch.backends.cpu, 'get_cpu_capability') else None
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

interface Peer {
  normal?: number;
  uniform?: number;
  version?: string;
  error?: string;
}

function peer(): Peer {
  const r = spawnSync(PYTHON, ['-c', PEER_SCRIPT], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return { error: r.error.message };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Peer;
  } catch {
    return { error: (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.status}` };
  }
}

const rate = (ms: number) => N / ms / 1e3;

const out = new Float32Array(N);
const tiers: { tier: KernelTier; normal?: number; uniform?: number; why?: string }[] = [];
for (const tier of ['fused', 'emulated', 'scalar'] as const) {
  const k = tier === 'scalar' ? undefined : WasmKernels.load(tier);
  if (typeof k === 'string') {
    tiers.push({ tier, why: k });
    continue;
  }
  const gen = new TorchGenerator(0n, { kernels: tier });
  const runs = tier === 'scalar' ? 3 : 9;
  tiers.push({ tier, normal: rate(timeMs(runs, () => gen.normal32(N, 0, 1, true, out))), uniform: rate(timeMs(runs, () => gen.uniform32(N, 0, 1, out))) });
}
const p = peer();

console.log(`exact mode (PyTorch CPU emulation), n = ${N.toLocaleString('en-US')} float32, 1 thread, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
for (const t of tiers) {
  if (t.why) console.log(`  ${t.tier.padEnd(8)} kernels: skipped (${t.why})`);
  else console.log(`  ${t.tier.padEnd(8)} kernels: normal_ ${t.normal!.toFixed(1)} M/s, uniform_ ${t.uniform!.toFixed(1)} M/s`);
}
if (p.error || p.normal === undefined || p.uniform === undefined) {
  console.log(`  skipped: ${PYTHON} with torch not found (${p.error ?? 'no result'}); no ratio to PyTorch`);
} else {
  console.log(`  torch ${p.version} 1 thread: normal_ ${p.normal.toFixed(1)} M/s, uniform_ ${p.uniform.toFixed(1)} M/s`);
  for (const t of tiers.filter((x) => !x.why)) {
    console.log(`  ratio ${t.tier.padEnd(8)} (emulation / torch): normal_ ${(t.normal! / p.normal).toFixed(2)}x (target >= 0.5x), uniform_ ${(t.uniform! / p.uniform).toFixed(2)}x`);
  }
}
