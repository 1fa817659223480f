/**
 * Signal engine speed (issue 13): forward + backward of a 20-layer 1024-wide
 * ReLU MLP at batch 256, with every statistic the report gives (per layer
 * the std of the output, the activation, the output's and the weight's
 * gradients), on TensorFlow.js's wasm backend (SIMD, 1 thread: Node has no
 * Web Workers) and cpu backend, against PyTorch's CPU doing the same work
 * with 1 thread, measured in the same run by /usr/bin/python3. Prints
 * medians and the ratio (> 1: InitLens faster); without torch a visible
 * "skipped" line.
 *
 * Then ResNet-18 at 8×3×224×224 (examples/resnet18.py: torchvision's layout
 * and init loop, a composite of BasicBlocks that the engine runs inline), the
 * weights in effect, forward + backward + the statistics, against PyTorch
 * building the same file (SIGNAL_BENCH_RESNET=0 skips it; it takes minutes).
 *   node esbuild.js --tests && node out/bench/signal.js
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { ModelAnalyzer } from '../src/core/model/analyze';
import { parsePython } from '../src/core/python/parse';
import { runGraph } from '../src/core/signal/engine';
import { buildGraph } from '../src/core/signal/graph';
import { prepareRuns } from '../src/core/signal/job';
import { signalModel } from '../src/core/signal/composite';
import * as fs from 'node:fs';
import * as path from 'node:path';
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
    out['threads'] = torch.get_num_threads()
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

const RESNET_FILE = path.join(__dirname, '..', '..', 'examples', 'resnet18.py');
const RESNET_SHAPE = (process.env.SIGNAL_BENCH_RESNET_SHAPE ?? '8,3,224,224').split(',').map(Number);
const RESNET_RUNS = Number(process.env.SIGNAL_BENCH_RESNET_RUNS ?? 3);

/** PyTorch on the same file: every Conv/BatchNorm/Linear output kept for its gradient, the same statistics. */
const RESNET_PEER = `
import json, sys, time, types
out = {}
try:
    import torch
    torch.set_num_threads(1)
    ns = types.ModuleType('bench_resnet18')
    exec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'), ns.__dict__)
    torch.manual_seed(0)
    model = ns.resnet18()
    model.train()
    x = torch.randn(${JSON.stringify(RESNET_SHAPE)}, generator=torch.Generator().manual_seed(0))
    kinds = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.Linear)
    layers = [m for m in model.modules() if isinstance(m, kinds)]
    def step():
        outs = []
        def keep(m, i, o):
            o.retain_grad()
            outs.append(o)
        hooks = [m.register_forward_hook(keep) for m in layers]
        y = model(x)
        for h in hooks: h.remove()
        g = torch.randn(y.shape, generator=torch.Generator().manual_seed(1))
        model.zero_grad()
        y.backward(g)
        return [o.std().item() for o in outs] + [o.grad.std().item() for o in outs] + [m.weight.grad.std().item() for m in layers]
    step()
    ts = []
    for _ in range(${RESNET_RUNS}):
        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
    out['ms'] = sorted(ts)[len(ts) // 2] * 1000
    out['version'] = torch.__version__
    out['threads'] = torch.get_num_threads()
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

function peerMs(script: string, args: string[] = []): { ms?: number; version?: string; threads?: number; error?: string } {
  const peer = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, maxBuffer: 1 << 20 });
  try {
    return JSON.parse(peer.stdout.trim().split('\n').pop() ?? '{}') as { ms?: number; version?: string; threads?: number; error?: string };
  } catch {
    return { error: peer.stderr.split('\n').find((l) => l.trim()) ?? 'no output' };
  }
}

async function resnet(): Promise<void> {
  const text = fs.readFileSync(RESNET_FILE, 'utf8');
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const root = analysis.models.find((m) => m.name === 'ResNet')!;
  const { model, composite } = signalModel(analysis, root, tree, text, 'resnet18');
  const graph = buildGraph(model, tree, text, { inputShape: RESNET_SHAPE, ...(composite ? { composite } : {}) });
  if (graph.notSimulated.length > 0) throw new Error(`ResNet-18 not simulated: ${JSON.stringify(graph.notSimulated)}`);
  const prepared = prepareRuns(model, graph, { seed: 0n, inputSeed: 0n, schemes: [signalScheme('in-effect')!], ...(composite ? { composite } : {}) });
  console.log(`signal bench: ResNet-18 (examples/resnet18.py, ${graph.layers.length} layers, ${(graph.values / 1e6).toFixed(0)}·10⁶ values kept, ${(graph.multiplyAdds / 1e9).toFixed(2)}·10⁹ multiply-adds forward) at ${RESNET_SHAPE.join('×')}, weights in effect (${prepared.runs[0].exact ? 'exact' : 'distribution only'}), forward + backward + statistics, 1 thread, median of ${RESNET_RUNS}; load ${os.loadavg()[0].toFixed(2)}`);
  const torch = peerMs(RESNET_PEER, [RESNET_FILE]);
  if (torch.ms === undefined) console.log(`  PyTorch: skipped (${torch.error ?? 'no torch'})`);
  else console.log(`  PyTorch ${torch.version} CPU (${torch.threads} thread${torch.threads === 1 ? '' : 's'}): ${torch.ms.toFixed(0)} ms`);
  const loaded = await loadSignalTf({ candidates: ['wasm'] });
  const run = prepared.runs[0];
  try {
    await runGraph(loaded.tf, graph, run.weights, prepared.input, prepared.upstream);
  } catch (error) {
    // The wasm heap is bounded (its memory cannot grow past what the module allows): said, not hidden.
    console.log(`  tfjs ${loaded.summary}: failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); load ${os.loadavg()[0].toFixed(2)}`);
    return;
  }
  const samples: number[] = [];
  for (let i = 0; i < RESNET_RUNS; i++) {
    const t = performance.now();
    await runGraph(loaded.tf, graph, run.weights, prepared.input, prepared.upstream);
    samples.push(performance.now() - t);
  }
  const ms = median(samples);
  console.log(`  tfjs ${loaded.summary}: ${ms.toFixed(0)} ms${torch.ms !== undefined ? `, ${(torch.ms / ms).toFixed(2)}× PyTorch (target ≥ 0.5×)` : ''}; load ${os.loadavg()[0].toFixed(2)}`);
}

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
      return JSON.parse(peer.stdout.trim().split('\n').pop() ?? '{}') as { ms?: number; version?: string; threads?: number; error?: string };
    } catch {
      return { error: peer.stderr.split('\n').find((l) => l.trim()) ?? 'no output' };
    }
  })();
  if (torch.ms === undefined) console.log(`  PyTorch: skipped (${torch.error ?? 'no torch'})`);
  else console.log(`  PyTorch ${torch.version} CPU (${torch.threads} thread${torch.threads === 1 ? '' : 's'}): ${torch.ms.toFixed(0)} ms`);
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
  if (process.env.SIGNAL_BENCH_RESNET !== '0') await resnet();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
