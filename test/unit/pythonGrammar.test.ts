/**
 * The patched Python grammar (src/core/python/lezer): constructs that
 * @lezer/python 1.1.19 read as syntax errors although CPython accepts them, the
 * reliability reproducers, and incremental re-parses that must equal a fresh
 * parse. Each snippet of test/fixtures/python/valid-snippets.json is also
 * compiled by CPython when /usr/bin/python3 is there, so the fixture cannot
 * drift into invalid Python.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { evaluate } from '../../src/core/model/evaluate';
import { IncrementalParser, parsePython, syntaxErrors, type TextEdit, type Tree } from '../../src/core/python/parse';
import { descendants } from '../../src/core/python/syntax';
import { ROOT } from '../host/paths';

const RELIABILITY = path.join(ROOT, 'test', 'fixtures', 'reliability');
const PYTHON = '/usr/bin/python3';
const snippets: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'python', 'valid-snippets.json'), 'utf8'));

/** Every node with its name and position, so trees compare exactly. */
function serialize(tree: Tree): string {
  const parts: string[] = [];
  tree.iterate({ enter: (n) => void parts.push(`${n.name}@${n.from}-${n.to}(`), leave: () => void parts.push(')') });
  return parts.join('');
}

function reliability(name: string): string {
  return fs.readFileSync(path.join(RELIABILITY, name), 'utf8');
}

/** The text of every node named `name`. */
function texts(tree: Tree, text: string, name: string): string[] {
  const out: string[] = [];
  tree.iterate({ enter: (n) => void (n.name === name && out.push(text.slice(n.from, n.to))) });
  return out;
}

describe('the Python grammar reads what CPython accepts', () => {
  for (const [name, source] of Object.entries(snippets)) {
    it(`${name}: no error node`, () => {
      assert.deepEqual(syntaxErrors(parsePython(source), source), []);
    });
  }

  it('the snippets are valid Python for CPython', (t) => {
    if (!fs.existsSync(PYTHON)) return t.skip(`${PYTHON} is not installed`);
    const script = 'import json,sys\nfor k, v in json.load(sys.stdin).items():\n    try: compile(v, k, "exec")\n    except SyntaxError as e: print(k, e)\n';
    const run = spawnSync(PYTHON, ['-W', 'ignore', '-c', script], { input: JSON.stringify(snippets), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
  });

  it('a trailing-dot float is one Number token', () => {
    const source = snippets['trailing-dot floats'];
    assert.deepEqual(texts(parsePython(source), source, 'Number'), ['0.', '100.', '1.e5', '1_0.', '2.j']);
  });

  it('reproducers valid_trailing_dot_float.py and valid_bare_yield.py: no syntax error, and nn.Dropout(0.) reads p = 0', () => {
    for (const name of ['valid_trailing_dot_float.py', 'valid_bare_yield.py']) {
      const text = reliability(name);
      assert.deepEqual(syntaxErrors(parsePython(text), text), [], name);
    }
    const text = reliability('valid_trailing_dot_float.py');
    const tree = parsePython(text);
    const call = [...descendants(tree.topNode, 'CallExpression')].find((c) => text.slice(c.from, c.to) === 'nn.Dropout(0.)');
    const p = call?.getChild('ArgList')?.getChild('Number');
    assert.equal(p && text.slice(p.from, p.to), '0.');
    assert.equal(evaluate(p ?? undefined, text, new Map()), 0);
  });

  it('64. evaluates in arithmetic: Linear(int(base_width / 64.) * 64, 10) has fan_in 128', () => {
    const text = 'import torch.nn as nn\nbase_width = 128\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(int(base_width / 64.) * 64, 10)\n';
    const [model] = new ModelAnalyzer().analyze(parsePython(text), text).models;
    assert.equal(model?.layers[0]?.fanIn, 128);
  });

  it('300+ blank and comment lines in one block after 2,000 characters: no forced error node', () => {
    // @lezer/lr counted the skip rule of each blank line towards its deep-tree guard.
    const head = `x = ${JSON.stringify('a'.repeat(2000))}\n`;
    const text = head + '\n# note\n'.repeat(400) + 'def f(a, b):\n    return (a,\n            b)\n';
    assert.deepEqual(syntaxErrors(parsePython(text), text), []);
    const body = 'if True:\n' + `    x = ${JSON.stringify('a'.repeat(2000))}\n` + '\n    # note\n'.repeat(400) + '    y = f(1,\n          2)\n';
    assert.deepEqual(syntaxErrors(parsePython(body), body), []);
  });
});

describe('incremental parse equals a fresh parse', () => {
  it('reproducer incremental_parse_phantom_error: the edit gives the fresh tree and no error at 148:1', () => {
    const before = reliability('incremental_parse_phantom_error.base.py');
    const after = reliability('incremental_parse_phantom_error.after.py');
    const edit: TextEdit = JSON.parse(reliability('incremental_parse_phantom_error.edit.json'));
    const parser = new IncrementalParser(before);
    void parser.tree;
    parser.applyEdits([edit]);
    assert.equal(parser.text, after);
    assert.equal(serialize(parser.tree), serialize(parsePython(after)));
    assert.deepEqual(syntaxErrors(parser.tree, after), []);
  });

  it('re-indenting the line after a long run of blank and comment lines moves the end of the blocks above', () => {
    const before = 'for i in range(3):\n    if i:\n        x = i\n\n' + '# a comment that is long enough\n'.repeat(3) + 'y = 2\n';
    const parser = new IncrementalParser(before);
    void parser.tree;
    for (const text of ['    ', '    ']) {
      parser.applyEdits([{ offset: parser.text.indexOf('y = 2'), length: 0, text }]);
      assert.equal(serialize(parser.tree), serialize(parsePython(parser.text)), JSON.stringify(parser.text));
    }
    parser.applyEdits([{ offset: parser.text.indexOf('y = 2') - 8, length: 8, text: '' }]);
    assert.equal(serialize(parser.tree), serialize(parsePython(parser.text)));
  });

  it('edits in CRLF and lone-CR files re-parse like fresh ones', () => {
    for (const eol of ['\r\n', '\r']) {
      const before = ['if a:', '    b = 1', '', '# c', 'd = 2', ''].join(eol);
      const parser = new IncrementalParser(before);
      void parser.tree;
      parser.applyEdits([{ offset: before.indexOf('d = 2'), length: 0, text: '    ' }]);
      assert.equal(serialize(parser.tree), serialize(parsePython(parser.text)), JSON.stringify(eol));
      assert.deepEqual(syntaxErrors(parser.tree, parser.text), []);
    }
  });
});

describe('the committed parser', () => {
  it('is what python.grammar generates (scripts/generate-parser.js)', (t) => {
    let generate: () => Record<string, string>;
    try {
      require.resolve('@lezer/generator');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      generate = require(path.join(ROOT, 'scripts', 'generate-parser.js')).generate;
    } catch {
      return t.skip('@lezer/generator is not installed (npm install brings it)');
    }
    const dir = path.join(ROOT, 'src', 'core', 'python', 'lezer');
    for (const [name, text] of Object.entries(generate())) {
      assert.equal(fs.readFileSync(path.join(dir, name), 'utf8'), text, `${name} is stale: run node scripts/generate-parser.js`);
    }
  });
});
