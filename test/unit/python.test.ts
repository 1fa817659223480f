import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectImports, qualify } from '../../src/core/python/imports';
import { IncrementalParser, dottedName, lineColumn, parsePython, syntaxErrors, type Tree } from '../../src/core/python/parse';

/** A tree as nested names, for structural comparison. */
function shape(tree: Tree): string {
  const parts: string[] = [];
  tree.iterate({
    enter: (n) => void parts.push(`${n.name}@${n.from}-${n.to}(`),
    leave: () => void parts.push(')'),
  });
  return parts.join('');
}

describe('imports', () => {
  const text = [
    'import torch, random as rnd',
    'import numpy as np',
    'from torch import nn, manual_seed as ms',
    'import torch.nn.functional as F',
    'import os.path',
    'from . import sibling',
    'from .pkg import thing',
    'from torch.nn import *',
    'from tensorflow import (keras,',
    '    random as tfr)',
    'def f():',
    '    import jax',
  ].join('\n');
  const imports = collectImports(parsePython(text), text);

  it('binds each local name to its qualified target, skipping relative and star imports', () => {
    assert.deepEqual(
      imports.map((b) => [b.local, b.target]),
      [
        ['torch', 'torch'],
        ['rnd', 'random'],
        ['np', 'numpy'],
        ['nn', 'torch.nn'],
        ['ms', 'torch.manual_seed'],
        ['F', 'torch.nn.functional'],
        ['os', 'os'],
        ['keras', 'tensorflow.keras'],
        ['tfr', 'tensorflow.random'],
        ['jax', 'jax'],
      ],
    );
  });

  it('records the statement span', () => {
    const np = imports.find((b) => b.local === 'np');
    assert.equal(text.slice(np?.from, np?.to), 'import numpy as np');
  });

  it('qualifies dotted references through aliases; later bindings win', () => {
    assert.equal(qualify(['np', 'random', 'seed'], imports), 'numpy.random.seed');
    assert.equal(qualify(['ms'], imports), 'torch.manual_seed');
    assert.equal(qualify(['unknown', 'x'], imports), undefined);
    const source = 'import numpy as np\nimport jax.numpy as np';
    const rebound = collectImports(parsePython(source), source);
    assert.equal(qualify(['np', 'zeros'], rebound), 'jax.numpy.zeros');
  });
});

describe('parse helpers', () => {
  it('reads dotted names and refuses calls and subscripts', () => {
    const text = 'a.b.c\nf().x\nd[0].e\n';
    const tree = parsePython(text);
    const names: (string | undefined)[] = [];
    for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
      names.push(dottedName(stmt.firstChild!, text)?.join('.'));
    }
    assert.deepEqual(names, ['a.b.c', undefined, undefined]);
  });

  it('reports syntax errors with 0-based line and column', () => {
    const text = 'x = 1\ndef f(:\n    pass\n';
    const errors = syntaxErrors(parsePython(text), text);
    assert.ok(errors.length > 0);
    assert.equal(errors[0].line, 1);
    assert.equal(errors[0].column, 6);
    assert.deepEqual(syntaxErrors(parsePython('x = 1\n'), 'x = 1\n'), []);
  });

  it('maps offsets to lines and columns', () => {
    assert.deepEqual(lineColumn('ab\ncd\n', 0), { line: 0, column: 0 });
    assert.deepEqual(lineColumn('ab\ncd\n', 4), { line: 1, column: 1 });
    assert.deepEqual(lineColumn('ab\ncd\n', 3), { line: 1, column: 0 });
  });
});

describe('IncrementalParser', () => {
  const base = 'import torch\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        self.fc = torch.nn.Linear(1, 2)\n';

  it('applies a batch of edits and re-parses to the same tree as a fresh parse', () => {
    const parser = new IncrementalParser(base);
    void parser.tree; // parse once so the next parse can reuse fragments
    // Two edits in one batch, given in descending order as VS Code sends them.
    const at1 = base.indexOf('1, 2');
    parser.applyEdits([
      { offset: at1, length: 4, text: '784, 256' },
      { offset: 0, length: 0, text: 'import numpy as np\n' },
    ]);
    const expected = base.replace('1, 2', '784, 256').replace(/^/, 'import numpy as np\n');
    assert.equal(parser.text, expected);
    assert.equal(shape(parser.tree), shape(parsePython(expected)));
  });

  it('follows a sequence of keystrokes', () => {
    const parser = new IncrementalParser('');
    let text = '';
    for (const ch of 'x = (1 +\n  2)\ny = x\n') {
      parser.applyEdits([{ offset: text.length, length: 0, text: ch }]);
      text += ch;
      void parser.tree;
    }
    assert.equal(parser.text, text);
    assert.equal(shape(parser.tree), shape(parsePython(text)));
    assert.deepEqual(syntaxErrors(parser.tree, text), []);
  });

  it('rejects overlapping and out-of-range edits without changing the text', () => {
    const parser = new IncrementalParser('abcdef');
    assert.throws(() => parser.applyEdits([{ offset: 0, length: 3, text: 'x' }, { offset: 2, length: 1, text: 'y' }]), RangeError);
    assert.throws(() => parser.applyEdits([{ offset: 5, length: 3, text: '' }]), RangeError);
    assert.equal(parser.text, 'abcdef');
  });
});
