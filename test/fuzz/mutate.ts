/**
 * Seeded mutations of real Python files, for the fuzz test of the core. Each
 * mutation is one text edit (offset, length, replacement) so the same step can
 * be replayed incrementally (an editor change event) and checked against a
 * fresh analysis of the result. The vocabulary is what broke InitLens before:
 * extreme sizes, unbalanced brackets, odd line endings and indentation,
 * trailing-dot floats, Markdown in strings, seeding and init calls.
 */
import seedrandom from 'seedrandom';
import type { TextEdit } from '../../src/core/python/parse';

export type Random = () => number;

export function rng(seed: string): Random {
  return seedrandom(seed);
}

const SNIPPETS = [
  'nn.Linear(', ')', '(', '[', ']', '{', '}', ',', ':', '\n', '\r\n', '\r', '\t', '    ', ' ', '#', '"""', "'", '"', '\\',
  '10**23', '-5', '0', '1e308', '4 * 1e308', '2.5', '0.', '64.', 'True', 'None', '-1', '2**31', '10**6', 'float("nan")',
  'yield', 'lambda x: x', 'async ', 'await ', '@dataclass\n', 'pass', 'return x', 'x = self.fc(x)', 'self', 'super().__init__()',
  'nn.Linear(784, 256)', 'nn.Conv2d(3, 64, 3)', 'nn.LSTM(10, 20, num_layers=1000)', 'nn.ReLU()', 'nn.Tanh()', 'nn.BatchNorm2d(64)',
  'nn.Sequential(nn.Linear(10, 10), nn.ReLU())', 'nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])',
  'nn.init.zeros_(self.fc.weight)', 'nn.init.constant_(m.weight, 0.01)', 'nn.init.kaiming_normal_(self.fc.weight)',
  'torch.manual_seed(0)', 'torch.manual_seed(2**64)', 'np.random.seed(1)', 'random.seed(3)', 'torch.cuda.manual_seed(1)',
  'torch.backends.cudnn.benchmark = True', "os.environ['PYTHONHASHSEED'] = '0'", 'np.random.default_rng()',
  'DataLoader(ds, num_workers=4)', 'loss.backward()', 'optimizer.step()', 'model.fit(x, y)', 'self.apply(self._init_weights)',
  'class X(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(3, 4)\n',
  'layers.Dense(64, activation="tanh", kernel_initializer="he_normal")', 'keras.Sequential([layers.Dense(10)])',
  'name="[x](command:initlens.applyInit?%5B%5D)"', '![img](http://example.com/x.png)', '<b>', '`', '*', '_', '\u00e9', '\u2028', '\ufeff',
  'import torch\n', 'import torch.nn as nn\n', 'from torch import nn\n', 'import numpy as np\n', 'from tensorflow import keras\n',
];

const NUMBER = /\b\d+(?:\.\d*)?(?:e[+-]?\d+)?\b/gi;
const EXTREME = ['0', '-1', '-5', '10**23', '1e308', '2**64', '3.5', '0.', '10**7', '999999999999999999999', '(1, 1)', 'n', '"64"'];

function pick<T>(r: Random, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function int(r: Random, n: number): number {
  return Math.floor(r() * n);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

/** One random edit of `text`; `donor` supplies lines for crossover. */
export function mutation(r: Random, text: string, donor: string): TextEdit {
  const at = int(r, text.length + 1);
  const starts = lineStarts(text);
  const line = int(r, starts.length);
  const lineFrom = starts[line]!;
  const lineTo = line + 1 < starts.length ? starts[line + 1]! : text.length;
  switch (int(r, 10)) {
    case 0: // insert a snippet
      return { offset: at, length: 0, text: pick(r, SNIPPETS) };
    case 1: // delete a short span
      return { offset: at, length: Math.min(text.length - at, 1 + int(r, 12)), text: '' };
    case 2: // delete or duplicate a whole line
      return r() < 0.5 ? { offset: lineFrom, length: lineTo - lineFrom, text: '' } : { offset: lineFrom, length: 0, text: text.slice(lineFrom, lineTo) };
    case 3: { // replace a number literal with an extreme value
      const numbers = [...text.matchAll(NUMBER)];
      if (numbers.length === 0) return { offset: at, length: 0, text: pick(r, EXTREME) };
      const m = pick(r, numbers);
      return { offset: m.index!, length: m[0].length, text: pick(r, EXTREME) };
    }
    case 4: { // re-indent a line (tabs, other widths, none)
      const indent = /^[ \t]*/.exec(text.slice(lineFrom, lineTo))![0];
      return { offset: lineFrom, length: indent.length, text: pick(r, ['', '\t', '\t\t', '  ', '        ', indent + ' ', indent + '\t']) };
    }
    case 5: { // change one line ending
      const eol = /\r\n|\r|\n/.exec(text.slice(lineFrom, lineTo + 2));
      if (!eol) return { offset: text.length, length: 0, text: pick(r, ['\n', '\r\n', '\r']) };
      return { offset: lineFrom + eol.index, length: eol[0].length, text: pick(r, ['\n', '\r\n', '\r', '']) };
    }
    case 6: { // crossover: a few lines of another real file
      const ds = lineStarts(donor);
      const from = int(r, ds.length);
      const to = Math.min(ds.length - 1, from + 1 + int(r, 8));
      return { offset: lineFrom, length: 0, text: donor.slice(ds[from], ds[to] ?? donor.length) };
    }
    case 7: // truncate
      return { offset: at, length: text.length - at, text: '' };
    case 8: { // swap a span with a snippet inside a line
      const len = Math.min(lineTo - lineFrom, int(r, 20));
      const from = lineFrom + int(r, Math.max(1, lineTo - lineFrom - len));
      return { offset: from, length: len, text: pick(r, SNIPPETS) };
    }
    default: { // type a few characters one edit at a time is the caller's job; here: a word
      return { offset: at, length: 0, text: pick(r, ['x', 'self.', 'nn.', '.weight', ' = ', '()', '0.5', 'relu', 'F.relu(x)', '# comment ', '# initlens']) };
    }
  }
}

const STATEMENTS = [
  'torch.manual_seed(0)', 'np.random.seed(1)', 'random.seed(3)', 'torch.cuda.manual_seed(1)', 'torch.backends.cudnn.benchmark = True',
  "os.environ['PYTHONHASHSEED'] = '0'", 'rng = np.random.default_rng()', 'loader = DataLoader(ds, num_workers=4)', 'loss.backward()',
  'x = nn.Linear(10, 10)', 'self.extra = nn.Linear(8, 8)', 'nn.init.zeros_(self.fc.weight)', 'nn.init.constant_(m.weight, 0.01)',
  'pass', 'y = 0.', 'dropout = 0.5', 'n = 10**23', 'z = (1, 2)', '# initlens: a comment', 'self.act = nn.ReLU()',
];

/**
 * One edit that keeps a valid file valid as often as possible: a whole
 * statement at the indentation of an existing statement line, or a number
 * swapped for another number.
 */
export function gentleMutation(r: Random, text: string): TextEdit {
  const starts = lineStarts(text);
  if (r() < 0.3) {
    const numbers = [...text.matchAll(/(?<![\w.])\d+(?![\w.])/g)];
    if (numbers.length > 0) {
      const m = pick(r, numbers);
      return { offset: m.index!, length: m[0].length, text: pick(r, ['1', '3', '64', '0', '1000', '10**7', '123456']) };
    }
  }
  for (let tries = 0; tries < 20; tries++) {
    const line = int(r, starts.length);
    const from = starts[line]!;
    const to = line + 1 < starts.length ? starts[line + 1]! : text.length;
    const content = text.slice(from, to);
    if (!/^[ \t]*[A-Za-z_]/.test(content) || /^[ \t]*(?:elif|else|except|finally)\b/.test(content)) continue;
    const previous = line > 0 ? text.slice(starts[line - 1], from) : '';
    if (/[,([{\\]\s*$/.test(previous)) continue;
    const indent = /^[ \t]*/.exec(content)![0];
    const eol = /\r\n|\r|\n/.exec(text)?.[0] ?? '\n';
    return { offset: from, length: 0, text: `${indent}${pick(r, STATEMENTS)}${eol}` };
  }
  return { offset: 0, length: 0, text: '' };
}

/** Applies one edit. */
export function apply(text: string, edit: TextEdit): string {
  return text.slice(0, edit.offset) + edit.text + text.slice(edit.offset + edit.length);
}

/** Whole-file variations that edits must survive. */
export function variant(r: Random, text: string): string {
  switch (int(r, 6)) {
    case 0:
      return text.replace(/\r?\n/g, '\r\n');
    case 1:
      return text.replace(/\r?\n/g, '\r');
    case 2: // tab indentation, consistently
      return text.replace(/^((?: {4})+)/gm, (m) => '\t'.repeat(m.length / 4));
    case 3:
      return text.replace(/\s+$/, '');
    case 4:
      return '\ufeff' + text;
    default:
      return text;
  }
}
