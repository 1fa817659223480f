/**
 * Property of every edit plan InitLens offers (Apply per model and per layer,
 * insert seed, every quick fix, the notebook seed): applied to a file CPython
 * accepts, it yields a file CPython accepts, and asking for it again on the
 * result changes nothing. Inputs: the real files of test/fixtures and
 * examples/, mutated line by line with a seeded generator, each in several
 * spellings (LF, CRLF, lone CR, tabs, two-space indents, no final newline;
 * a UTF-8 BOM never reaches the core: the CLI and VS Code strip it, see
 * safeWrite.test.ts). CPython is the oracle: one `/usr/bin/python3` process
 * compiles every source and lists the global names it reads that nothing
 * binds, so an edit that writes `self.fc` where there is no `self` fails too
 * (the test is skipped, visibly, where Python is absent).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkDocument } from '../../src/core/diagnostics/rules';
import { EditRefused, planApply } from '../../src/core/edits/applyInit';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { mainParam } from '../../src/core/model/layer';
import type { Model } from '../../src/core/model/types';
import { parsePython, type TextEdit } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { planNotebookSeed, type CellText } from '../../src/core/seeding/notebook';
import { applyTextEdits } from '../../src/core/edits/apply';
import { planSeed, type SeedOptions } from '../../src/core/seeding/plan';
import { ROOT } from '../host/paths';
import { Compiler, PYTHON } from '../fuzz/cpython';
import { mulberry32 } from '../fuzz/random';

/** Inputs per run: enough to cover every plan kind on every spelling, within the CI budget (≤ 60 s on 2 cores). */
const INPUTS = Number(process.env.INITLENS_EDIT_INPUTS ?? 1200);
const SEED_OPTIONS: SeedOptions = { seed: 1234, deterministic: true, warnOnly: false };

const generator = mulberry32;

/** Lines that make the rules and plans fire when mutated into a file. */
const SNIPPETS = [
  'import numpy as np',
  'import random',
  'import os',
  'torch.cuda.manual_seed(3)',
  'os.environ["PYTHONHASHSEED"] = "0"',
  'rng = np.random.default_rng()',
  'np.random.seed(7)',
  'loader = torch.utils.data.DataLoader(range(10), batch_size=2, num_workers=2)',
  'loader2 = DataLoader(range(4), num_workers=4,)',
  'loss.backward()',
  'torch.manual_seed(0)',
  'model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2), nn.Tanh())',
  'def init_weights(m):\n    if isinstance(m, nn.Linear):\n        nn.init.constant_(m.weight, 0.0)',
  'net.apply(init_weights)',
  '# a comment typed between statements',
  '',
];

const SWAPS: readonly [RegExp, string][] = [
  [/relu/g, 'tanh'],
  [/ReLU/g, 'Tanh'],
  [/tanh/g, 'relu'],
  [/Tanh/g, 'ReLU'],
  [/xavier_uniform_/g, 'kaiming_normal_'],
  [/kaiming_normal_/g, 'xavier_uniform_'],
  [/nn\.init\.\w+_\(([^,)]+)/g, 'nn.init.constant_($1, 0.5'],
  [/import torch\.nn as nn/g, 'from torch import nn'],
];

function mutate(text: string, random: () => number): string {
  const lines = text.split('\n');
  const pick = () => Math.floor(random() * lines.length);
  const steps = 1 + Math.floor(random() * 3);
  for (let s = 0; s < steps; s++) {
    const op = Math.floor(random() * 6);
    const at = pick();
    if (op === 0) lines.splice(at, 1);
    else if (op === 1) lines.splice(at, 0, lines[at] ?? '');
    else if (op === 2) {
      // A snippet at the indentation of the line it lands before.
      const indent = /^[ \t]*/.exec(lines[at] ?? '')?.[0] ?? '';
      lines.splice(at, 0, ...SNIPPETS[Math.floor(random() * SNIPPETS.length)].split('\n').map((l) => indent + l));
    } else if (op === 3) lines.push(...SNIPPETS[Math.floor(random() * SNIPPETS.length)].split('\n'));
    else if (op === 4 && at + 1 < lines.length) [lines[at], lines[at + 1]] = [lines[at + 1], lines[at]];
    else {
      const [pattern, replacement] = SWAPS[Math.floor(random() * SWAPS.length)];
      const joined = lines.join('\n').replace(pattern, replacement);
      lines.splice(0, lines.length, ...joined.split('\n'));
    }
  }
  return lines.join('\n');
}

/** The spellings of one file; each keeps what it means to CPython. */
const SPELLINGS: Readonly<Record<string, (lf: string) => string>> = {
  lf: (t) => t,
  crlf: (t) => t.replace(/\n/g, '\r\n'),
  cr: (t) => t.replace(/\n/g, '\r'),
  tabs: (t) => t.replace(/^((?: {4})+)/gm, (m) => '\t'.repeat(m.length / 4)),
  'two-space': (t) => t.replace(/^((?: {4})+)/gm, (m) => ' '.repeat(m.length / 2)),
  'no-final-newline': (t) => t.replace(/\n+$/, ''),
};

/** One edit plan InitLens offers for a text, and how to ask for it again on the result. */
interface Offer {
  readonly kind: string;
  readonly edits: readonly TextEdit[];
  /** The same request on `text`: its edits, or undefined when it is no longer offered. */
  readonly again: (text: string) => readonly TextEdit[] | undefined;
}

interface Analysis {
  readonly text: string;
  readonly tree: ReturnType<typeof parsePython>;
  readonly seeding: ReturnType<typeof analyzeSeeding>;
  readonly models: ReturnType<ModelAnalyzer['analyze']>;
}

function analyze(text: string): Analysis {
  const tree = parsePython(text);
  return { text, tree, seeding: analyzeSeeding(tree, text), models: new ModelAnalyzer().analyze(tree, text) };
}

function refusedAsUndefined<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (error) {
    if (error instanceof EditRefused) return undefined;
    throw error;
  }
}

function applyOffer(a: Analysis, model: string, layer?: string): readonly TextEdit[] | undefined {
  const m = a.models.models.find((x) => x.name === model);
  if (!m) return undefined;
  const layers = layer === undefined ? undefined : m.layers.filter((l) => l.name === layer);
  if (layers && layers.length !== 1) return undefined;
  return refusedAsUndefined(() => planApply(m, a.text, a.seeding.imports, layers).edits);
}

function seedOffer(a: Analysis): readonly TextEdit[] | undefined {
  return refusedAsUndefined(() => planSeed({ text: a.text, tree: a.tree, seeding: a.seeding, modelNames: a.models.models.map((m) => m.name) }, SEED_OPTIONS).edits);
}

/** What the lenses offer: Apply for a model with open layers, and for each layer with a recommendation. */
function applyTargets(model: Model): (string | undefined)[] {
  const open = model.layers.filter((l) => mainParam(l)?.recommendation && mainParam(l)?.agrees !== true);
  return [...(open.length > 0 ? [undefined] : []), ...model.layers.filter((l) => mainParam(l)?.recommendation).map((l) => l.name)];
}

/** Every plan offered for `text` (the same lists as the lenses, the seed command and the code actions). */
function offers(text: string): Offer[] {
  const a = analyze(text);
  const out: Offer[] = [];
  for (const model of a.models.models) {
    for (const layer of applyTargets(model)) {
      const edits = applyOffer(a, model.name, layer);
      if (edits && edits.length > 0) out.push({ kind: `apply ${model.framework}${layer ? ' layer' : ''}`, edits, again: (t) => applyOffer(analyze(t), model.name, layer) });
    }
  }
  const seed = seedOffer(a);
  if (seed && seed.length > 0) out.push({ kind: 'insert seed', edits: seed, again: (t) => seedOffer(analyze(t)) });
  for (const finding of checkDocument(a, SEED_OPTIONS)) {
    const fix = finding.fix;
    if (!fix || fix.edits.length === 0) continue;
    // Where the finding's start moves to when the fix's edits before it are applied.
    const moved = finding.from + fix.edits.filter((e) => e.offset + e.length <= finding.from).reduce((d, e) => d + e.text.length - e.length, 0);
    out.push({
      kind: `fix ${finding.rule}`,
      edits: fix.edits,
      // Asked again: the same rule's finding where this one was, if it is still there.
      again: (t) => checkDocument(analyze(t), SEED_OPTIONS).find((f) => f.rule === finding.rule && f.from === moved)?.fix?.edits,
    });
  }
  return out;
}

/** Shapes of code the plans must land in correctly: one-line bodies, comments and continuations at block ends, models in blocks. */
const TRICKY: readonly string[] = [
  `import torch
import torch.nn as nn
class A(nn.Module):
    def __init__(self): super().__init__(); self.fc = nn.Linear(4, 2)
    def forward(self, x): return nn.functional.relu(self.fc(x))
`,
  `import torch
import torch.nn as nn


class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(
            4, 2)  # trailing comment
        # a comment at the end of __init__
    def forward(self, x):
        return torch.relu(self.fc(x))

    def _init_weights(self): pass
`,
  `import torch
import torch.nn as nn
class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.out = nn.Linear(2, 2)
        self.reset_parameters()
    def reset_parameters(self): nn.init.constant_(self.fc.weight, 0.1)  # one line
    def forward(self, x):
        return self.out(torch.relu(self.fc(x)))
`,
  `import torch.nn as nn
if True:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
def build():
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh())
    return net
model2 = nn.Sequential(nn.Linear(3, 3), nn.ReLU()); print(model2)
model3 = nn.Sequential(nn.Linear(2, 2), \\
    nn.ReLU())
`,
  `from tensorflow import keras
model = keras.Sequential([
    keras.layers.Dense(64, activation="relu",  # hidden
    ),
    keras.layers.Dense(10, activation="softmax")  # out
])
`,
  `"""A script."""
from __future__ import annotations
import torch; import numpy as np
try:
    import random
except ImportError:
    random = None
from torch.utils.data import DataLoader
loader = DataLoader(range(8), num_workers=2,  # workers
)
if __name__ == "__main__":
    model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU())
    loss = model(torch.ones(4)).sum()
    loss.backward()
`,
  `import torch.nn as nn; model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
`,
  `import torch
import torch.nn as nn
class C(nn.Module):
    def __init__(self, deep=False):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        if deep:
            self.extra = nn.Linear(2, 2)
    def forward(self, x):
        return torch.tanh(self.fc(x))
def init_weights(m):
    if isinstance(m, nn.Linear):
        m.weight.data.fill_(0.0)
        nn.init.xavier_uniform_(tensor=m.weight)
net = C()
net.apply(init_weights)
`,
  `import numpy as np
import torch
def seed_everything(seed):
    np.random.seed(seed)
seed_everything(3)
model = torch.nn.Linear(2, 2)
rng = np.random.default_rng()
torch.cuda.manual_seed(seed)
`,
];

function sources(): { name: string; text: string }[] {
  const dirs = ['test/fixtures/models', 'test/fixtures/seed', 'test/fixtures/reliability', 'examples'];
  const tricky = TRICKY.map((text, i) => ({ name: `tricky #${i}`, text }));
  return tricky.concat(...dirs.map((d) =>
    fs
      .readdirSync(path.join(ROOT, d))
      .filter((f) => f.endsWith('.py'))
      .sort()
      .map((f) => ({ name: `${d}/${f}`, text: fs.readFileSync(path.join(ROOT, d, f), 'utf8').replace(/\r\n?/g, '\n') })),
  ));
}

interface Failure {
  readonly input: string;
  readonly kind: string;
  readonly problem: string;
  /** The input and the result, written under INITLENS_EDIT_DUMP when set (for debugging). */
  readonly texts?: readonly string[];
}

function dump(failures: readonly Failure[]): void {
  const dir = process.env.INITLENS_EDIT_DUMP;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  failures.forEach((f, i) => f.texts?.forEach((text, j) => fs.writeFileSync(path.join(dir, `${i}.${j}.py`), text)));
  fs.writeFileSync(path.join(dir, 'failures.json'), JSON.stringify(failures.map(({ texts: _, ...f }) => f), null, 1));
}

const hasPython = fs.existsSync(PYTHON);

describe('edit plans keep files valid and are idempotent (CPython oracle)', { skip: hasPython ? false : `${PYTHON} is not installed` }, () => {
  let compiler: Compiler;
  before(() => {
    compiler = new Compiler();
  });
  after(() => compiler?.close());

  it(`${INPUTS} generated inputs: every offered plan compiles and is a fixed point`, { timeout: Math.max(120_000, INPUTS * 150) }, async (t) => {
    const random = generator(20261201);
    const base = sources();
    const spellings = Object.entries(SPELLINGS);
    const candidates: { name: string; text: string }[] = [];
    for (const s of base) for (const [spelling, f] of spellings) candidates.push({ name: `${s.name} [${spelling}]`, text: f(s.text) });
    while (candidates.length < INPUTS * 2) {
      const s = base[Math.floor(random() * base.length)];
      const [spelling, f] = spellings[Math.floor(random() * spellings.length)];
      candidates.push({ name: `${s.name} mutated #${candidates.length} [${spelling}]`, text: f(mutate(s.text, random)) });
    }
    // The property speaks of files CPython accepts: keep those.
    const verdicts = await compiler.compile(candidates.map((c) => c.text));
    const accepted = candidates.map((c, i) => ({ ...c, verdict: verdicts[i] })).filter((c) => c.verdict.ok);
    const inputs = accepted.slice(0, INPUTS);
    const outputs: { input: string; kind: string; text: string; before: string; unbound: readonly string[] | null }[] = [];
    const failures: Failure[] = [];
    const kinds = new Map<string, number>();
    for (const input of inputs) {
      let offered: Offer[];
      try {
        offered = offers(input.text);
      } catch (error) {
        failures.push({ input: input.name, kind: 'analysis', problem: `threw ${String(error)}` });
        continue;
      }
      for (const offer of offered) {
        kinds.set(offer.kind, (kinds.get(offer.kind) ?? 0) + 1);
        let once: string;
        try {
          once = applyTextEdits(input.text, offer.edits);
        } catch (error) {
          failures.push({ input: input.name, kind: offer.kind, problem: `the plan's edits overlap: ${String(error)}` });
          continue;
        }
        outputs.push({ input: input.name, kind: offer.kind, text: once, before: input.text, unbound: input.verdict.ok ? input.verdict.unbound : null });
        try {
          const second = offer.again(once);
          if (second && applyTextEdits(once, second) !== once) failures.push({ input: input.name, kind: offer.kind, problem: 'not idempotent: asking again changes the file', texts: [input.text, once, applyTextEdits(once, second)] });
        } catch (error) {
          failures.push({ input: input.name, kind: offer.kind, problem: `asking again threw ${String(error)}` });
        }
      }
    }
    const compiled = await compiler.compile(outputs.map((o) => o.text));
    compiled.forEach((v, i) => {
      const o = outputs[i];
      if (!v.ok) failures.push({ input: o.input, kind: o.kind, problem: `CPython rejects the result: ${v.error}`, texts: [o.before, o.text] });
      else if (v.unbound && o.unbound) {
        const added = v.unbound.filter((n) => !o.unbound!.includes(n));
        if (added.length > 0) failures.push({ input: o.input, kind: o.kind, problem: `unbound name: the result reads ${added.join(', ')}, which nothing binds where it is read`, texts: [o.before, o.text] });
      }
    });
    t.diagnostic(`inputs ${inputs.length} (of ${candidates.length} generated, ${candidates.length - accepted.length} rejected by CPython), edits ${outputs.length}, failures ${failures.length}`);
    t.diagnostic(`plans: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const byKind = new Map<string, number>();
    for (const f of failures) byKind.set(`${f.kind}: ${f.problem.split(':')[0]}`, (byKind.get(`${f.kind}: ${f.problem.split(':')[0]}`) ?? 0) + 1);
    if (failures.length > 0) t.diagnostic(`failures by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join('; ')}`);
    dump(failures);
    assert.ok(inputs.length >= Math.min(INPUTS, 500), `only ${inputs.length} inputs compiled`);
    assert.ok(outputs.length > inputs.length, `only ${outputs.length} edits for ${inputs.length} inputs`);
    assert.deepEqual(failures.slice(0, 5), []);
  });

  it('notebooks: the seed plan keeps every code cell valid and is a fixed point', async () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'seed');
    const notebooks = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb'));
    assert.ok(notebooks.length >= 2);
    for (const name of notebooks) {
      const nb = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
      const base: CellText[] = nb.cells.map((c) => ({ kind: c.cell_type === 'code' ? 'code' : 'markup', text: Array.isArray(c.source) ? c.source.join('') : c.source }));
      for (const [spelling, f] of Object.entries(SPELLINGS)) {
        const cells = base.map((c) => (c.kind === 'code' ? { ...c, text: f(c.text) } : c));
        const once = seedCells(cells);
        const code = once.filter((c) => c.kind === 'code').map((c) => c.text);
        assert.deepEqual((await compiler.compile(code)).filter((v) => !v.ok), [], `${name} [${spelling}]`);
        assert.deepEqual(seedCells(once), once, `${name} [${spelling}]: a second seed changes the notebook`);
      }
    }
  });
});

function seedCells(cells: readonly CellText[]): CellText[] {
  const plan = planNotebookSeed(cells, SEED_OPTIONS);
  if (plan.kind === 'insert-cell') return [...cells.slice(0, plan.index), { kind: 'code', text: plan.text }, ...cells.slice(plan.index)];
  return cells.map((c, i) => (i === plan.cell ? { ...c, text: applyTextEdits(c.text, plan.plan.edits) } : c));
}
