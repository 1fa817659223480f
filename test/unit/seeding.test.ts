import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeSeeding, referenceAt, unseeded } from '../../src/core/seeding/analyze';
import { KNOWN_APIS, lookupRandomApi } from '../../src/core/seeding/knowledge';
import { seedReportMarkdown, seedSummary } from '../../src/core/seeding/report';
import { parsePython } from '../../src/core/python/parse';

function analyze(text: string) {
  return analyzeSeeding(parsePython(text), text);
}

describe('seeding analysis', () => {
  it('finds seed calls through every import style', () => {
    const text = [
      'import random as rnd',
      'import numpy as np',
      'from torch import manual_seed',
      'import tensorflow as tf',
      'rnd.seed(1)',
      'np.random.seed(2)',
      'manual_seed(3)',
      'tf.keras.utils.set_random_seed(4)',
    ].join('\n');
    const analysis = analyze(text);
    assert.deepEqual(
      analysis.references.map((r) => [r.qualifiedName, r.line, r.argument]),
      [
        ['random.seed', 4, '1'],
        ['numpy.random.seed', 5, '2'],
        ['torch.manual_seed', 6, '3'],
        ['tensorflow.keras.utils.set_random_seed', 7, '4'],
      ],
    );
    assert.deepEqual(unseeded(analysis), []);
    assert.deepEqual(
      analysis.frameworks.map((f) => [f.framework.id, f.line]),
      [
        ['random', 0],
        ['numpy', 1],
        ['torch', 2],
        ['tensorflow', 3],
      ],
    );
  });

  it('reports RNGs nothing seeds, and ignores names that are not imported', () => {
    const text = 'import numpy as np\nimport torch\ntorch.cuda.manual_seed_all(0)\nrandom.seed(0)\n';
    const analysis = analyze(text);
    assert.deepEqual(
      unseeded(analysis).map((c) => c.rng),
      ['numpy', 'torch-cpu'],
    );
    // `random` was never imported, so `random.seed` is an unknown name here.
    assert.deepEqual(
      analysis.references.map((r) => r.qualifiedName),
      ['torch.cuda.manual_seed_all'],
    );
  });

  it('recognizes assignments: cudnn flags and PYTHONHASHSEED through os.environ', () => {
    const text = "import os\nimport torch\nos.environ['PYTHONHASHSEED'] = '0'\ntorch.backends.cudnn.benchmark = True\nos.environ[key] = 'x'\n";
    const analysis = analyze(text);
    assert.deepEqual(
      analysis.references.map((r) => [r.qualifiedName, r.api.effect, r.argument]),
      [
        ['os.environ.PYTHONHASHSEED', 'no-effect', "'0'"],
        ['torch.backends.cudnn.benchmark', 'determinism', 'True'],
      ],
    );
  });

  it('explains drawing functions and their bounds, without counting them as seeding', () => {
    const text = 'import random\nimport numpy as np\nrandom.randint(0, 9)\nnp.random.randint(0, 9)\n';
    const analysis = analyze(text);
    assert.deepEqual(
      analysis.references.map((r) => [r.qualifiedName, r.api.effect]),
      [
        ['random.randint', 'draws'],
        ['numpy.random.randint', 'draws'],
      ],
    );
    assert.match(analysis.references[0].api.summary, /both ends included/);
    assert.match(analysis.references[1].api.summary, /high excluded/);
    assert.equal(seedSummary(analysis)?.line, 0);
    assert.equal(seedSummary(analysis)?.title, 'InitLens: not seeded: random, NumPy');
  });

  it('locates the reference under an offset for hovers', () => {
    const text = 'import torch\ntorch.manual_seed(42)\n';
    const analysis = analyze(text);
    const inside = text.indexOf('manual_seed') + 3;
    assert.equal(referenceAt(analysis, inside)?.qualifiedName, 'torch.manual_seed');
    assert.equal(referenceAt(analysis, text.indexOf('42')), undefined);
    assert.equal(referenceAt(analysis, 0), undefined);
  });

  it('every API name is unique and every entry documented', () => {
    const names = KNOWN_APIS.flatMap((a) => a.names);
    assert.equal(new Set(names).size, names.length);
    for (const api of KNOWN_APIS) {
      assert.match(api.docs, /^https:\/\//);
      assert.ok(api.summary.endsWith('.'), api.names[0]);
      if (api.effect === 'partial' || api.effect === 'randomizes' || api.effect === 'no-effect') {
        assert.ok(api.caveat, `${api.names[0]} needs a caveat`);
      }
    }
    assert.deepEqual(lookupRandomApi('torch.manual_seed')?.seeds, ['torch-cpu', 'torch-cuda']);
    assert.equal(lookupRandomApi('torch.nn.Linear'), undefined);
  });
});

describe('seed summary and report', () => {
  it('puts the lens on the first seeding call and lists what is missing', () => {
    const text = 'import random\nimport torch\n\ntorch.manual_seed(0)\n';
    assert.deepEqual(seedSummary(analyze(text)), {
      line: 3,
      title: 'InitLens: seeded: torch CPU, torch CUDA · not seeded: random',
    });
  });

  it('falls back to the first import when nothing is seeded, and counts traps', () => {
    const text = '"""doc"""\nimport os\nimport torch\nos.environ["PYTHONHASHSEED"] = "0"\ntorch.seed()\n';
    assert.deepEqual(seedSummary(analyze(text)), {
      line: 3,
      title: 'InitLens: not seeded: torch CPU, torch CUDA · 2 seeding problems',
    });
    const quiet = 'import torch\nx = 1\n';
    assert.deepEqual(seedSummary(analyze(quiet)), { line: 0, title: 'InitLens: not seeded: torch CPU, torch CUDA' });
  });

  it('says nothing about files without random number generators', () => {
    assert.equal(seedSummary(analyze('import os\nprint(1)\n')), undefined);
  });

  it('renders the Markdown report', () => {
    const text = 'import numpy as np\nimport torch\ntorch.manual_seed(7)\ntorch.backends.cudnn.benchmark = True\n';
    assert.equal(
      seedReportMarkdown(analyze(text), text, 'train.py'),
      [
        '# Seed report: train.py',
        '',
        'Frameworks imported: NumPy (line 1), PyTorch (line 2).',
        '',
        '| Random number generator | Seeded by |',
        '| --- | --- |',
        '| NumPy global RNG (`np.random.*`) | **not seeded** |',
        '| PyTorch CPU generator | `torch.manual_seed(7)` (line 3) |',
        '| PyTorch CUDA generators (every GPU) | `torch.manual_seed(7)` (line 3) |',
        '',
        '## Problems',
        '',
        '- Line 4, `torch.backends.cudnn.benchmark = True`: cuDNN autotuning: `True` benchmarks several convolution algorithms and keeps the fastest. The choice can differ from run to run; set it to `False` for reproducible results.',
        '',
      ].join('\n'),
    );
  });
});
