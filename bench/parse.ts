/**
 * Parsing cost per keystroke: a full `@lezer/python` parse of a large model file
 * against the incremental re-parse InitLens does after a one-character edit,
 * and the seeding analysis on top. Prints medians and the ratio; no thresholds.
 *   npm run bench
 */
import * as os from 'node:os';
import { IncrementalParser, parsePython } from '../src/core/python/parse';
import { analyzeSeeding } from '../src/core/seeding/analyze';

function modelFile(classes: number): string {
  const parts = ['import random', 'import numpy as np', 'import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '', 'torch.manual_seed(0)', ''];
  for (let i = 0; i < classes; i++) {
    parts.push(
      `class Block${i}(nn.Module):`,
      '    def __init__(self, width: int = 256):',
      '        super().__init__()',
      `        self.fc1 = nn.Linear(width, width * ${(i % 4) + 1})`,
      `        self.fc2 = nn.Linear(width * ${(i % 4) + 1}, width)`,
      '        self.norm = nn.LayerNorm(width)',
      '',
      '    def forward(self, x):',
      '        x = F.relu(self.fc1(x))',
      '        return self.norm(x + self.fc2(x))',
      '',
    );
  }
  return parts.join('\n');
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(runs: number, fn: (i: number) => void): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

const text = modelFile(600);
const lines = text.split('\n').length;
// Warm up the JIT on both paths.
for (let i = 0; i < 5; i++) parsePython(text);

const full = time(30, () => void parsePython(text));
const parser = new IncrementalParser(text);
void parser.tree;
const editAt = text.indexOf('width * 3');
const incremental = time(200, (i) => {
  // Type and delete a character in the middle of the file, as a user would.
  if (i % 2 === 0) parser.applyEdits([{ offset: editAt, length: 0, text: ' ' }]);
  else parser.applyEdits([{ offset: editAt, length: 1, text: '' }]);
  void parser.tree;
});
const tree = parsePython(text);
const analysis = time(30, () => void analyzeSeeding(tree, text));

console.log(`parse benchmark: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB; ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log(`  full parse            ${full.toFixed(2)} ms (median of 30)`);
console.log(`  incremental re-parse  ${incremental.toFixed(3)} ms (median of 200 one-character edits)`);
console.log(`  seeding analysis      ${analysis.toFixed(2)} ms (median of 30)`);
console.log(`  incremental vs full:  ${(full / incremental).toFixed(1)}x faster`);
