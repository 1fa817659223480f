/**
 * Every diagnostic rule of src/core/diagnostics/rules.ts: what it flags (exact
 * range text and message), what it leaves alone, and the text its quick fix
 * produces.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkDocument, RULE_DOCS, RULES, type Finding, type RuleId } from '../../src/core/diagnostics/rules';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { applyTextEdits } from '../../src/core/edits/apply';
import { planSeedForText } from '../../src/core/seeding/plan';
import { ROOT } from '../host/paths';

const OPTIONS = { seed: 42, deterministic: true, warnOnly: false };

function check(text: string, enabled?: RuleId[]): Finding[] {
  const tree = parsePython(text);
  return checkDocument({ text, tree, seeding: analyzeSeeding(tree, text), models: new ModelAnalyzer().analyze(tree, text) }, OPTIONS, enabled && new Set(enabled));
}

function only(text: string, rule: RuleId): Finding {
  const found = check(text).filter((f) => f.rule === rule);
  assert.equal(found.length, 1, `${rule}: ${JSON.stringify(check(text).map((f) => f.rule))}`);
  assert.equal(found[0].href, RULE_DOCS[rule]);
  return found[0];
}

function fixed(text: string, finding: Finding): string {
  assert.ok(finding.fix, `${finding.rule} has a fix`);
  return applyTextEdits(text, finding.fix.edits);
}

const NET = `import numpy as np
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 8)
        self.out = nn.Linear(8, 1)
        nn.init.constant_(self.fc1.weight, 0.01)
        nn.init.xavier_uniform_(self.fc2.weight)
        nn.init.kaiming_normal_(self.out.weight)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.sigmoid(self.out(x))


model = Net()
torch.manual_seed(0)
torch.cuda.manual_seed(0)
np.random.seed(0)
rng = np.random.default_rng()
`;

describe('diagnostic rules', () => {
  it('every rule has docs, and a clean file has no findings', () => {
    assert.deepEqual(Object.keys(RULE_DOCS).sort(), [...RULES].sort());
    const clean = 'import torch\n\ntorch.manual_seed(0)\nmodel = torch.nn.Linear(4, 2)\n';
    assert.deepEqual(check(clean), []);
  });

  it('symmetricInit: a constant weight, fixed with the recommended scheme', () => {
    const f = only(NET, 'symmetricInit');
    assert.equal(NET.slice(f.from, f.to), 'nn.init.constant_(self.fc1.weight, 0.01)');
    assert.equal(f.message, 'fc1: fc1.weight starts as a constant (constant_(0.01)): every unit of the layer computes the same output and gets the same gradient, so they stay identical at any depth. Use kaiming_normal_.');
    assert.equal(f.fix?.title, 'Initialize fc1 with kaiming_normal_');
    const after = fixed(NET, f);
    assert.ok(after.includes('        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")\n'), after);
    assert.ok(!after.includes('constant_(self.fc1.weight'), after);
    // zeros_ and fill_ on a weight are the same mistake; on a bias they are fine.
    assert.equal(check(NET.replace('nn.init.constant_(self.fc1.weight, 0.01)', 'self.fc1.weight.data.fill_(0.5)')).filter((x) => x.rule === 'symmetricInit').length, 1);
    assert.equal(check(NET.replace('nn.init.constant_(self.fc1.weight, 0.01)', 'nn.init.zeros_(self.fc1.bias)')).filter((x) => x.rule === 'symmetricInit').length, 0);
  });

  it('a scheme-name mismatch with a healthy gain is no warning; at the suggestions level an IL202 note with the numbers', () => {
    // Xavier before ReLU on Linear(8, 8): std √(2/16) = 0.35 vs He's √(2/8) = 0.5; gain √(8·(2/16)/2) = √0.5 per layer, 0.5 over the two ReLU layers.
    assert.deepEqual(check(NET).filter((f) => f.rule === 'initNote' || f.rule === 'signalGain'), []);
    const tree = parsePython(NET);
    const notes = checkDocument({ text: NET, tree, seeding: analyzeSeeding(tree, NET), models: new ModelAnalyzer().analyze(tree, NET) }, { ...OPTIONS, advice: { level: 'suggestions', disabled: new Set() } }).filter((f) => f.rule === 'initNote');
    assert.deepEqual(
      notes.map((f) => [NET.slice(f.from, f.to), f.severity, f.message]),
      [['nn.init.xavier_uniform_(self.fc2.weight)', 'information', "fc2: kaiming_normal_ would give std 0.5; yours gives 0.35: fine (the signal's std changes ×0.71 per layer (analytic); over the 2 layers like it ×0.5)."]],
    );
    assert.equal(fixed(NET, notes[0]).includes('        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity="relu")\n'), true);
  });

  it('signalGain on a line an apply() rule writes for layers that need different inits: no quick fix (was: toggling the shared line)', () => {
    // One isinstance branch initializes eight Linear layers before a ReLU (advised kaiming_normal_) and the last one,
    // before a Sigmoid (advised xavier_normal_): rewriting the line for the first would rewrite it for the last.
    const text = [
      'import torch.nn as nn',
      'class Deep(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      `        self.fc = nn.Sequential(${'nn.Linear(64, 64), nn.ReLU(), '.repeat(8)}nn.Linear(64, 1), nn.Sigmoid())`,
      '        self.fc.apply(self.init_weights)',
      '    def init_weights(self, m):',
      '        if isinstance(m, nn.Linear):',
      '            nn.init.normal_(m.weight, 0, 0.01)',
      '    def forward(self, x):',
      '        return self.fc(x)',
      '',
    ].join('\n');
    const [f, ...rest] = check(text).filter((x) => x.rule === 'signalGain');
    assert.equal(rest.length, 0);
    assert.equal(text.slice(f.from, f.to), 'nn.init.normal_(m.weight, 0, 0.01)');
    assert.equal(
      f.message,
      'fc.0 … fc.14 (8 layers): normal_(0, 0.01) (std 0.01) before ReLU: the gradient\'s std changes ×0.057 per layer (analytic); over the 8 layers like it ×1.0e-10. kaiming_normal_ gives ×1 over them (analytic).',
    );
    assert.equal(f.fix, undefined);
    // The same line for layers that all need kaiming_normal_ is still replaced where it stands.
    const all = text.replace('nn.Linear(64, 1), nn.Sigmoid())', 'nn.Linear(64, 64), nn.ReLU())');
    const [g] = check(all).filter((x) => x.rule === 'signalGain');
    assert.equal(fixed(all, g), all.replace('nn.init.normal_(m.weight, 0, 0.01)', 'nn.init.kaiming_normal_(m.weight, nonlinearity="relu")'));
  });

  it('seedAfterConstruction: the seed after model = Net(); the fix moves the line above it', () => {
    const f = only(NET, 'seedAfterConstruction');
    assert.equal(NET.slice(f.from, f.to), 'torch.manual_seed(0)');
    assert.equal(f.message, 'The seed is set after `model = Net()` (line 22) has already drawn its random numbers, so those stay unseeded.');
    assert.equal(fixed(NET, f), NET.replace('model = Net()\ntorch.manual_seed(0)\n', 'torch.manual_seed(0)\nmodel = Net()\n'));
    assert.equal(check(fixed(NET, f)).filter((x) => x.rule === 'seedAfterConstruction').length, 0);
  });

  it('seedMissing: a training loop with no seed; the fix inserts seed_everything', () => {
    const text = 'import torch\n\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';
    const f = only(text, 'seedMissing');
    assert.equal(text.slice(f.from, f.to), 'loss.backward()');
    assert.equal(f.severity, 'information');
    const after = fixed(text, f);
    assert.ok(after.startsWith('import os\nimport torch\n\n\ndef seed_everything(seed: int, deterministic: bool = True):\n'), after);
    assert.ok(after.includes('\n\n\nseed_everything(42, deterministic=True)\n\nmodel = torch.nn.Linear(4, 1)\n'), after);
    assert.deepEqual(check(after).map((x) => x.rule), []);
    // A file that does not train is not asked to seed.
    assert.deepEqual(check('import torch\nx = torch.rand(3)\n'), []);
  });

  it('cudaManualSeed: replaced by manual_seed_all', () => {
    const f = only(NET, 'cudaManualSeed');
    assert.equal(NET.slice(f.from, f.to), 'torch.cuda.manual_seed');
    assert.equal(fixed(NET, f), NET.replace('torch.cuda.manual_seed(0)', 'torch.cuda.manual_seed_all(0)'));
  });

  it('pythonHashSeed: commented out with the reason, not deleted', () => {
    const text = 'import os\nimport torch\n\nos.environ["PYTHONHASHSEED"] = "0"\ntorch.manual_seed(0)\n';
    const f = only(text, 'pythonHashSeed');
    assert.equal(text.slice(f.from, f.to), 'os.environ["PYTHONHASHSEED"] = "0"');
    assert.equal(
      fixed(text, f),
      text.replace('os.environ["PYTHONHASHSEED"] = "0"', '# os.environ["PYTHONHASHSEED"] = "0"  # no effect: PYTHONHASHSEED is read at interpreter start-up; set it in the shell'),
    );
  });

  it('unseededDefaultRng: only while np.random.seed is used; the fix passes its seed', () => {
    const f = only(NET, 'unseededDefaultRng');
    assert.equal(NET.slice(f.from, f.to), 'np.random.default_rng()');
    assert.equal(fixed(NET, f), NET.replace('np.random.default_rng()', 'np.random.default_rng(0)'));
    assert.equal(check(NET.replace('np.random.seed(0)\n', '')).filter((x) => x.rule === 'unseededDefaultRng').length, 0);
  });

  it('dataLoaderWorkers: num_workers > 0 in a seeded script; the fix adds seed_worker and a generator', () => {
    const text = 'import random\nimport torch\nfrom torch.utils.data import DataLoader\n\ntorch.manual_seed(0)\nloader = DataLoader(range(8), batch_size=2, num_workers=4)\n';
    const f = only(text, 'dataLoaderWorkers');
    assert.equal(text.slice(f.from, f.to), 'DataLoader(range(8), batch_size=2, num_workers=4)');
    assert.equal(
      fixed(text, f),
      [
        'import random',
        'import torch',
        'from torch.utils.data import DataLoader',
        '',
        '',
        'def seed_worker(worker_id: int):',
        '    """DataLoader worker_init_fn (written by InitLens): forked workers inherit the parent\'s NumPy/random',
        '    state, so each would draw the same "random" augmentations; derive theirs from the worker\'s torch seed."""',
        '    worker_seed = torch.initial_seed() % 2**32',
        '    random.seed(worker_seed)',
        '',
        '',
        'torch.manual_seed(0)',
        'loader = DataLoader(range(8), batch_size=2, num_workers=4, worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(torch.initial_seed()))',
        '',
      ].join('\n'),
    );
    assert.deepEqual(check(fixed(text, f)), []);
    for (const quiet of [text.replace('num_workers=4', 'num_workers=0'), text.replace('torch.manual_seed(0)\n', ''), text.replace('import random\n', '')]) {
      assert.equal(check(quiet).filter((x) => x.rule === 'dataLoaderWorkers').length, 0, quiet);
    }
  });

  it('symmetricInit in a module-level init_weights(m): the fix names m.weight, as the call did (was: self.fc.weight, where there is no self)', () => {
    const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reliability', 'incremental_shift.py'), 'utf8');
    const f = only(text, 'symmetricInit');
    assert.equal(text.slice(f.from, f.to), 'nn.init.constant_(m.weight, 0.0)');
    // The old fix wrote the class's own spelling into a function that has no self (the reproducer's .v1.fixed).
    const old = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reliability', 'incremental_shift.v1.fixed.py'), 'utf8');
    assert.equal(old.includes('nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")'), true);
    assert.equal(fixed(text, f), old.replace('self.fc.weight', 'm.weight'));
    // An in-place method keeps its receiver too.
    const method = text.replace('nn.init.constant_(m.weight, 0.0)', 'm.weight.data.fill_(0.0)');
    assert.equal(fixed(method, only(method, 'symmetricInit')), old.replace('self.fc.weight', 'm.weight.data'));
  });

  it('unseededDefaultRng: a seed that is a local name elsewhere is not copied; 0 is passed instead', () => {
    const text = 'import numpy as np\n\ndef seed_everything(seed):\n    np.random.seed(seed)\n\nseed_everything(3)\nrng = np.random.default_rng()\n';
    assert.equal(fixed(text, only(text, 'unseededDefaultRng')), text.replace('default_rng()', 'default_rng(0)'));
    const global = 'import numpy as np\nSEED = 3\nnp.random.seed(SEED)\nrng = np.random.default_rng()\n';
    assert.equal(fixed(global, only(global, 'unseededDefaultRng')), global.replace('default_rng()', 'default_rng(SEED)'));
  });

  it('one DataLoader finder for the rule and the seed plan: PyTorch DataLoaders are wired and flagged, another package\'s never', () => {
    const text = 'import random\nimport torch\nimport torch.utils.data as tud\nimport paddle\n\ntorch.manual_seed(0)\na = tud.DataLoader(range(8), num_workers=2)\nb = paddle.io.DataLoader(range(8), num_workers=2)\n';
    const flagged = check(text).filter((f) => f.rule === 'dataLoaderWorkers');
    assert.deepEqual(flagged.map((f) => text.slice(f.from, f.to)), ['tud.DataLoader(range(8), num_workers=2)']);
    const seeded = applyTextEdits(text, planSeedForText(text, parsePython(text), OPTIONS).edits);
    assert.ok(seeded.includes('a = tud.DataLoader(range(8), num_workers=2, worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(torch.initial_seed()))\n'), seeded);
    assert.ok(seeded.includes('b = paddle.io.DataLoader(range(8), num_workers=2)\n'), seeded);
  });

  it('dataLoaderWorkers: the arguments go after a trailing comma, before a comment', () => {
    const text = 'import random\nimport torch\nfrom torch.utils.data import DataLoader\n\ntorch.manual_seed(0)\nloader = DataLoader(range(8), num_workers=4,  # four (workers)\n)\n';
    const out = fixed(text, only(text, 'dataLoaderWorkers'));
    assert.ok(out.endsWith('loader = DataLoader(range(8), num_workers=4, worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(torch.initial_seed())  # four (workers)\n)\n'), out);
  });

  it('rules switched off are not run, and a file with a syntax error yields nothing', () => {
    assert.deepEqual([...new Set(check(NET, ['cudaManualSeed']).map((f) => f.rule))], ['cudaManualSeed']);
    assert.deepEqual(check(NET + '\nx = (\n'), []);
  });
});
