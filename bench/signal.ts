/**
 * Signal engine speed (issue 13): forward + backward of a 20-layer 1024-wide
 * ReLU MLP at batch 256, with every statistic the report gives (per layer
 * the std of the output, the activation, the output's and the weight's
 * gradients), on TensorFlow.js's wasm backend (SIMD, 1 thread: Node has no
 * Web Workers) and cpu backend, against PyTorch's CPU doing the same work
 * with 1 thread, measured in the same run by /usr/bin/python3. Prints
 * medians and the ratio (> 1: InitLens faster); without torch a visible
 * "skipped" line.
 *   node esbuild.js --tests && node out/bench/signal.js
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { ModelAnalyzer } from '../src/core/model/analyze';
import { parsePython } from '../src/core/python/parse';
import { runGraph } from '../src/core/signal/engine';
import { buildGraph } from '../src/core/signal/graph';
import { prepareRuns } from '../src/core/signal/job';
import { signalScheme } from '../src/core/signal/schemes';
import { loadSignalTf, type NodeBackend } from '../src/node/signalTf';

const LAYERS = 20;
const WIDTH = 1024;
const BATCH = 256;
const RUNS = Number(process.env.SIGNAL_BENCH_RUNS ?? 5);
const PYTHON = '/usr/bin/python3';

const TEXT = `import torch.nn as nn
model = nn.Sequential(${Array.from({ length: LAYERS }, () => `nn.Linear(${WIDTH}, ${WIDTH}), nn.ReLU()`).join(', ')})
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The peer: the same model with He weights, the same statistics, medians of RUNS after a warm-up, in ms. */
const PEER_SCRIPT = `
import json, time
out = {}
try:
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layers = []
    for _ in range(${LAYERS}):
        lin = torch.nn.Linear(${WIDTH}, ${WIDTH})
        torch.nn.init.kaiming_normal_(lin.weight, nonlinearity='relu')
        torch.nn.init.zeros_(lin.bias)
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers)
    x = torch.randn(${BATCH}, ${WIDTH}, generator=torch.Generator().manual_seed(0))
    g = torch.randn(${BATCH}, ${WIDTH}, generator=torch.Generator().manual_seed(1))
    def step():
        outs = []
        h = x
        for m in model:
            h = m(h)
            if isinstance(m, torch.nn.Linear):
                h.retain_grad()
            outs.append(h)
        model.zero_grad()
        h.backward(g)
        stats = [o.std().item() for o in outs] + [o.grad.std().item() for o in outs if o.grad is not None]
        stats += [m.weight.grad.std().item() for m in model if isinstance(m, torch.nn.Linear)]
        return stats
    step()
    ts = []
    for _ in range(${RUNS}):
        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
    out['ms'] = sorted(ts)[len(ts) // 2] * 1000
    out['version'] = torch.__version__
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

async function main(): Promise<void> {
  const tree = parsePython(TEXT);
  const model = new ModelAnalyzer().analyze(tree, TEXT).models[0];
  const graph = buildGraph(model, tree, TEXT, { inputShape: [BATCH, WIDTH] });
  const prepared = prepareRuns(model, graph, { seed: 0n, inputSeed: 0n, schemes: [signalScheme('he')!] });
  const run = prepared.runs[0];
  console.log(`signal bench: ${LAYERS}×Linear(${WIDTH}, ${WIDTH}) + ReLU at batch ${BATCH}, forward + backward + statistics, 1 thread, median of ${RUNS}; ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`);
  const peer = spawnSync(PYTHON, ['-c', PEER_SCRIPT], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, maxBuffer: 1 << 20 });
  const torch = (() => {
    try {
      return JSON.parse(peer.stdout.trim().split('\n').pop() ?? '{}') as { ms?: number; version?: string; error?: string };
    } catch {
      return { error: peer.stderr.split('\n').find((l) => l.trim()) ?? 'no output' };
    }
  })();
  if (torch.ms === undefined) console.log(`  PyTorch: skipped (${torch.error ?? 'no torch'})`);
  else console.log(`  PyTorch ${torch.version} CPU: ${torch.ms.toFixed(0)} ms`);
  for (const backend of ['wasm', 'cpu'] as NodeBackend[]) {
    if (backend === 'cpu' && process.env.SIGNAL_BENCH_CPU !== '1') {
      console.log('  tfjs cpu: not run (minutes at this size; SIGNAL_BENCH_CPU=1 runs it)');
      continue;
    }
    const loaded = await loadSignalTf({ candidates: [backend] });
    await runGraph(loaded.tf, graph, run.weights, prepared.input, prepared.upstream);
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await runGraph(loaded.tf, graph, run.weights, prepared.input, prepared.upstream);
      samples.push(performance.now() - t);
    }
    const ms = median(samples);
    console.log(`  tfjs ${loaded.summary}: ${ms.toFixed(0)} ms${torch.ms !== undefined ? `, ${(torch.ms / ms).toFixed(2)}× PyTorch (target ≥ 0.5×)` : ''}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
