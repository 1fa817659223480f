/**
 * Analysis cost as the user types: cold analysis (parse + seeding + models) and
 * re-analysis after a one-character edit inside one class, for generated 1k- and
 * 10k-line model files; median and p95 over many runs (after warm-up keystrokes). Targets (issue 3, on the
 * 2-core CI machine): re-analysis p95 <= 2 ms at 1k lines and <= 15 ms at 10k.
 *   npm run bench
 */
import * as os from 'node:os';
import { ModelAnalyzer } from '../src/core/model/analyze';
import { IncrementalParser, parsePython } from '../src/core/python/parse';
import { analyzeSeeding } from '../src/core/seeding/analyze';

/** A model file of about `lines` lines: PyTorch blocks with forward passes, Sequentials, seeds. */
function generateModelFile(lines: number): string {
  const out = ['import random', 'import numpy as np', 'import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '', 'torch.manual_seed(0)', 'HIDDEN = 256', ''];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `class Block${i}(nn.Module):`,
      '    def __init__(self, width: int = HIDDEN):',
      '        super().__init__()',
      `        self.fc1 = nn.Linear(width, width * ${(i % 4) + 1})`,
      `        self.fc2 = nn.Linear(width * ${(i % 4) + 1}, width)`,
      '        self.norm = nn.LayerNorm(width)',
      '        self.head = nn.Sequential(nn.Linear(width, 64), nn.GELU(), nn.Linear(64, 10))',
      '',
      '    def forward(self, x):',
      '        h = F.relu(self.fc1(x))',
      '        h = torch.tanh(self.fc2(h))',
      '        return self.head(self.norm(x + h))',
      '',
      '',
    );
  }
  return out.join('\n');
}

/** Unmeasured keystrokes before the measured ones. */
const WARMUP = 200;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function measure(lines: number, runs: number): void {
  const text = generateModelFile(lines);
  const cold: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = process.hrtime.bigint();
    const tree = parsePython(text);
    const seeding = analyzeSeeding(tree, text);
    new ModelAnalyzer().analyze(tree, text, { imports: seeding.imports });
    cold.push(ms(t));
  }
  const parser = new IncrementalParser(text);
  const analyzer = new ModelAnalyzer();
  analyzer.analyze(parser.tree, parser.text);
  // Type and delete a digit inside the middle class, as a user would. The first
  // WARMUP keystrokes (JIT, and the garbage of the cold runs above being
  // collected) are not measured: an editor session is in the steady state.
  const at = text.indexOf('width * 3', text.length / 2) + 'width * '.length;
  const edit: number[] = [];
  // `runs` measured keystrokes, then as many again: the second half is the steady state (the JIT has
  // optimized what a keystroke runs, and the cold runs' garbage is collected: about 1,000 keystrokes here).
  for (let i = 0; i < WARMUP + 2 * runs; i++) {
    const t = process.hrtime.bigint();
    parser.applyEdits(i % 2 === 0 ? [{ offset: at, length: 0, text: '1' }] : [{ offset: at, length: 1, text: '' }]);
    const tree = parser.tree;
    const seeding = analyzeSeeding(tree, parser.text);
    analyzer.analyze(tree, parser.text, { imports: seeding.imports });
    if (i >= WARMUP) edit.push(ms(t));
  }
  const models = analyzer.analyze(parser.tree, parser.text).models.length;
  const first = edit.slice(0, runs);
  const steady = edit.slice(runs);
  console.log(
    `  ${String(text.split('\n').length).padStart(6)} lines, ${String(models).padStart(4)} models: cold median ${percentile(cold, 0.5).toFixed(1)} ms; ` +
      `re-analysis after one keystroke median ${percentile(first, 0.5).toFixed(2)} ms, p95 ${percentile(first, 0.95).toFixed(2)} ms (${runs} runs after ${WARMUP} warm-up keystrokes); ` +
      `steady state (the ${runs} after those) median ${percentile(steady, 0.5).toFixed(2)} ms, p95 ${percentile(steady, 0.95).toFixed(2)} ms`,
  );
}

console.log(`analysis benchmark: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}`);
measure(1_000, 1000);
measure(10_000, 400);
