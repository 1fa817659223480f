/**
 * Property: for random edit sequences on real files, what the incremental
 * path computes equals a fresh computation, after every edit — the parse tree
 * (every node's name and position), the model analysis of a long-lived
 * ModelAnalyzer (spans included), the seeding analysis and the diagnostics.
 *
 * Edits come from a seeded PRNG (INITLENS_INCREMENTAL_SEED, default 1) so a
 * failure names its seed, file and step and replays exactly. Bounded: a fixed
 * number of edit sequences per file (INITLENS_INCREMENTAL_ROUNDS, default 2).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkDocument } from '../../src/core/diagnostics/rules';
import { planApply } from '../../src/core/edits/applyInit';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { IncrementalParser, parsePython, type TextEdit, type Tree } from '../../src/core/python/parse';
import { collectImports } from '../../src/core/python/imports';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { ROOT } from '../host/paths';
import { mulberry32 } from '../fuzz/random';

const SEED = Number(process.env.INITLENS_INCREMENTAL_SEED ?? 1);
const ROUNDS = Number(process.env.INITLENS_INCREMENTAL_ROUNDS ?? 2);
/** Edits per sequence; a "typed" snippet counts one edit per character. */
const STEPS = 24;
const FOLDERS = ['test/fixtures/models', 'test/fixtures/seed', 'examples', 'test/fixtures/reliability'];
/** Reliability files that are about unbounded work, not incremental analysis (other tests own them). */
const SLOW = /^(hover_hang|hover_lstm|tuple_doubling)/;
const RULES = { seed: 42, deterministic: true, warnOnly: true };

const prng = mulberry32;

function serializeTree(tree: Tree): string {
  const parts: string[] = [];
  tree.iterate({ enter: (n) => void parts.push(`${n.name}@${n.from}-${n.to}(`), leave: () => void parts.push(')') });
  return parts.join('');
}

/** The neighbourhood of the first difference of two serializations, for failure messages. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `incremental …${a.slice(Math.max(0, i - 120), i + 80)}…\nfresh       …${b.slice(Math.max(0, i - 120), i + 80)}…`;
}

/** JSON with Maps as entry lists, so every field takes part in the comparison. */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v));
}

const SNIPPETS = [
  '# a comment\n', '\n', '    ', '(', ')', '[', ']', '{', '}', '"', "'", '"""', ':', ',', '.', '\\\n', '0.', 'yield', 'x = 1\n',
  'self.fc = nn.Linear(4, 2)\n', 'nn.init.zeros_(self.fc.bias)\n', 'def f(m):\n    pass\n', 'torch.manual_seed(0)\n', 'import random\n',
  'class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n', 'if x:\n', '\t', 'lambda', ' as ', '#',
];

/** One random edit (or a run of keystrokes) on `text`. */
function randomEdits(text: string, rand: () => number): TextEdit[][] {
  const int = (n: number) => Math.floor(rand() * n);
  const at = int(text.length + 1);
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const lineEndRaw = text.indexOf('\n', at);
  const lineEnd = lineEndRaw === -1 ? text.length : lineEndRaw;
  const snippet = SNIPPETS[int(SNIPPETS.length)];
  switch (int(9)) {
    case 0: // insert a snippet
      return [[{ offset: at, length: 0, text: snippet }]];
    case 1: // delete a span (up to 40 characters)
      return [[{ offset: at, length: Math.min(int(40), text.length - at), text: '' }]];
    case 2: // replace a span
      return [[{ offset: at, length: Math.min(int(12), text.length - at), text: snippet }]];
    case 3: // type a snippet character by character
      return [...snippet].map((ch, i) => [{ offset: at + i, length: 0, text: ch }]);
    case 4: // indent or dedent a line
      return text.startsWith('    ', lineStart) && rand() < 0.5 ? [[{ offset: lineStart, length: 4, text: '' }]] : [[{ offset: lineStart, length: 0, text: '    ' }]];
    case 5: // comment out or insert a comment line
      return [[{ offset: lineStart, length: 0, text: rand() < 0.5 ? '# ' : '# note\n' }]];
    case 6: // delete the whole line
      return [[{ offset: lineStart, length: Math.min(lineEnd + 1, text.length) - lineStart, text: '' }]];
    case 7: // backspace a run of characters one by one
      return Array.from({ length: Math.min(1 + int(6), at) }, (_, i) => [{ offset: at - i - 1, length: 1, text: '' }]);
    default: // two edits in one batch, as a multi-cursor change sends them (descending offsets)
      return at > 2 ? [[{ offset: at, length: 0, text: snippet }, { offset: int(at - 1), length: 1, text: '' }]] : [[{ offset: at, length: 0, text: snippet }]];
  }
}

function files(): string[] {
  const out: string[] = [];
  for (const folder of FOLDERS) {
    const dir = path.join(ROOT, folder);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) if (name.endsWith('.py') && !SLOW.test(name)) out.push(path.join(dir, name));
  }
  return out;
}

/** Applies `batch` to `text` (offsets in the text before the batch). */
function applyBatch(text: string, batch: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...batch].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.text + out.slice(e.offset + e.length);
  return out;
}

describe('incremental parse and analysis equal fresh ones', () => {
  const all = files();
  let checked = 0;

  it(`random edit sequences on ${all.length} real files (seed ${SEED}, ${ROUNDS} rounds)`, (t) => {
    assert.ok(all.length >= 20, `found ${all.length} files`);
    const started = Date.now();
    for (const file of all) {
      const original = fs.readFileSync(file, 'utf8');
      for (let round = 0; round < ROUNDS; round++) {
        const seed = SEED * 100_003 + round * 7919 + checked;
        const rand = prng(seed);
        const parser = new IncrementalParser(original);
        const analyzer = new ModelAnalyzer();
        analyzer.analyze(parser.tree, parser.text);
        let text = original;
        for (let step = 0; step < STEPS; step++) {
          for (const batch of randomEdits(text, rand)) {
            if (process.env.INITLENS_INCREMENTAL_DUMP) fs.writeFileSync(process.env.INITLENS_INCREMENTAL_DUMP, JSON.stringify({ text, batch }));
            parser.applyEdits(batch);
            text = applyBatch(text, batch);
            const where = `${path.relative(ROOT, file)}, seed ${seed}, step ${step}: ${json(batch)}`;
            assert.equal(parser.text, text, where);
            const fresh = parsePython(text);
            const incrementalTree = serializeTree(parser.tree);
            const freshTree = serializeTree(fresh);
            if (incrementalTree !== freshTree) assert.fail(`tree after ${where}\n${firstDifference(incrementalTree, freshTree)}\n${JSON.stringify(text.slice(Math.max(0, batch[0].offset - 200), batch[0].offset + 100))}`);
            const models = analyzer.analyze(parser.tree, text);
            const freshModels = new ModelAnalyzer().analyze(fresh, text);
            const a = json(models);
            const b = json(freshModels);
            if (a !== b) assert.fail(`model analysis after ${where}\n${firstDifference(a, b)}`);
            const seeding = analyzeSeeding(parser.tree, text);
            const freshSeeding = analyzeSeeding(fresh, text);
            assert.equal(json(seeding), json(freshSeeding), `seeding analysis after ${where}`);
            assert.equal(
              json(checkDocument({ text, tree: parser.tree, seeding, models }, RULES)),
              json(checkDocument({ text, tree: fresh, seeding: freshSeeding, models: freshModels }, RULES)),
              `diagnostics after ${where}`,
            );
            checked++;
          }
        }
      }
    }
    t.diagnostic(`${checked} edits checked on ${all.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});

describe('reproducer incremental_shift.py', () => {
  it('typing in the comment between init_weights and the model: the cached analysis and its quick fix equal fresh ones', () => {
    const original = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reliability', 'incremental_shift.py'), 'utf8');
    const at = original.indexOf('this comment');
    const parser = new IncrementalParser(original);
    const analyzer = new ModelAnalyzer();
    analyzer.analyze(parser.tree, parser.text);
    for (const [i, ch] of [...'XXXXX'].entries()) {
      parser.applyEdits([{ offset: at + i, length: 0, text: ch }]);
      analyzer.analyze(parser.tree, parser.text);
    }
    const text = parser.text;
    assert.equal(text, original.replace('# typing in this comment', '# typing in XXXXXthis comment'));
    const cached = analyzer.analyze(parser.tree, text);
    const freshTree = parsePython(text);
    const fresh = new ModelAnalyzer().analyze(freshTree, text);
    assert.equal(json(cached), json(fresh));
    const imports = collectImports(freshTree, text);
    const net = (a: typeof fresh) => a.models.find((m) => m.name === 'Net');
    const cachedPlan = planApply(net(cached)!, text, imports);
    const freshPlan = planApply(net(fresh)!, text, imports);
    assert.deepEqual(cachedPlan, freshPlan);
    const fixed = applyBatch(text, cachedPlan.edits);
    assert.ok(!fixed.includes('nn.innn'), fixed);
    assert.ok(fixed.includes('# typing in XXXXXthis comment moves the model below\n'), fixed);
  });
});

describe('cached models that point into other statements', () => {
  it('an edit that keeps offsets but moves lines (one line break out, one space in) re-analyzes the Sequential built by .add calls', () => {
    const text = 'from tensorflow import keras\nfrom tensorflow.keras import layers\n\n\nmlp = keras.Sequential()\nmlp.add(layers.Dense(4))\n';
    const parser = new IncrementalParser(text);
    const analyzer = new ModelAnalyzer();
    const before = analyzer.analyze(parser.tree, parser.text).models[0];
    assert.equal(before?.layers[0]?.line, 5);
    // Offsets after the edit stay the same; every line below moves up by one.
    parser.applyEdits([
      { offset: text.indexOf('import keras'), length: 0, text: ' ' },
      { offset: text.indexOf('\n\nmlp'), length: 1, text: '' },
    ]);
    const after = analyzer.analyze(parser.tree, parser.text);
    assert.equal(after.models[0]?.layers[0]?.line, 4);
    assert.equal(json(after), json(new ModelAnalyzer().analyze(parsePython(parser.text), parser.text)));
  });
});

describe('a statement reused into the wrong block', () => {
  it('time_sequence_prediction/train.py, 51 → 1000 in forward(): the top-level `if __name__` stays at the top level (lezer reused it inside forward)', () => {
    const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/realworld/pytorch/examples/time_sequence_prediction/train.py'), 'utf8').replace(/\s+$/, '');
    assert.equal(text.slice(783, 784), '1');
    const parser = new IncrementalParser(text);
    void parser.tree;
    parser.applyEdits([{ offset: 783, length: 1, text: '1000' }]);
    const top = (tree: Tree) => {
      const names: string[] = [];
      for (let n = tree.topNode.firstChild; n; n = n.nextSibling) names.push(n.name);
      return names;
    };
    assert.deepEqual(top(parser.tree), top(parsePython(parser.text)));
    assert.equal(top(parser.tree).at(-1), 'IfStatement');
  });
});
