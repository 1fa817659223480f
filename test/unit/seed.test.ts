/**
 * The "Insert reproducible seed" planner over a corpus of real-looking files
 * (test/fixtures/seed, expected outputs in expected/), its idempotence as a
 * property, notebooks, refusals, and the `initlens seed` CLI.
 */
import assert from 'node:assert/strict';
import { runInMemory } from './cliHarness';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { parsePython } from '../../src/core/python/parse';
import { seedIpynb } from '../../src/core/seeding/notebook';
import { applyTextEdits } from '../../src/core/edits/apply';
import { EditRefused, planSeedForText, type SeedOptions } from '../../src/core/seeding/plan';
import { isU64SeedText, parseSeedEverything, SEED_EVERYTHING_RANGE, TORCH_SEED_RANGE, U64_SEED_RANGE } from '../../src/core/seeds';
import { ROOT } from '../host/paths';

const DIR = path.join(ROOT, 'test', 'fixtures', 'seed');
/** np.random.seed's limit, 2^32 − 1. */
const MAX_SEED = 4294967295;
const DEFAULTS: SeedOptions = { seed: 42, deterministic: true, warnOnly: false };
const read = (name: string) => fs.readFileSync(path.join(DIR, name), 'utf8');

/** The file after one run of the planner (notebooks through their JSON). */
function seeded(name: string, text: string, options: SeedOptions = DEFAULTS): string {
  if (name.endsWith('.ipynb')) return seedIpynb(text, options).text;
  return applyTextEdits(text, planSeedForText(text, parsePython(text), options).edits);
}

const CORPUS = fs.readdirSync(DIR).filter((f) => /\.(py|ipynb)$/.test(f) && f !== 'broken.py').sort();

describe('planSeed over the corpus', () => {
  it('covers the kinds of files the issue names', () => {
    assert.deepEqual(CORPUS, [
      'crlf.py',
      'jax_train.py',
      'keras_train.py',
      'lightning_script.py',
      'notebook.ipynb',
      'notebook_built_first.ipynb',
      'only_submodules.py',
      'own_helper.py',
      'train_torch.py',
    ]);
  });

  for (const name of CORPUS) {
    it(`${name}: exact expected output`, () => {
      const expected = read(path.join('expected', name.replace(/\.(py|ipynb)$/, '.expected.$1')));
      assert.equal(seeded(name, read(name)), expected);
    });
  }

  it('crlf.py really is CRLF, and so is every line the plan writes', () => {
    const text = read('crlf.py');
    assert.ok(text.includes('\r\n'));
    const out = seeded('crlf.py', text);
    assert.equal(out.replace(/\r\n/g, '').includes('\n'), false);
  });

  it('refuses a file with a syntax error, naming the line', () => {
    const text = read('broken.py');
    assert.throws(() => planSeedForText(text, parsePython(text), DEFAULTS), (e: unknown) => e instanceof EditRefused && /^line \d+ has a syntax error; the file was left unchanged\./.test(e.message));
  });

  it('states each seed range once: seed_everything 0..2^32−1, sampler 0..2^64−1, torch.manual_seed −2^63..2^64−1', () => {
    assert.equal(SEED_EVERYTHING_RANGE, '0..4294967295');
    assert.equal(U64_SEED_RANGE, '0..18446744073709551615');
    assert.equal(TORCH_SEED_RANGE, '-9223372036854775808..18446744073709551615');
    assert.deepEqual(['0', ' 42 ', '4294967295', '4294967296', '-1', '1.5', '', '00000000001'].map(parseSeedEverything), [0, 42, 4294967295, undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(['0', '18446744073709551615', '18446744073709551616', '-1', '1e3'].map(isU64SeedText), [true, true, false, false, false]);
  });

  it('refuses seeds outside 0..2^32-1 and files that import no framework', () => {
    const text = read('train_torch.py');
    for (const seed of [-1, MAX_SEED + 1, 1.5, Number.NaN]) {
      assert.throws(() => planSeedForText(text, parsePython(text), { ...DEFAULTS, seed }), EditRefused, String(seed));
    }
    assert.equal(applyTextEdits(text, planSeedForText(text, parsePython(text), { ...DEFAULTS, seed: MAX_SEED }).edits).includes(`seed_everything(${MAX_SEED}, deterministic=True)`), true);
    assert.throws(() => planSeedForText('import json\nprint(1)\n', parsePython('import json\nprint(1)\n'), DEFAULTS), /imports no framework/);
  });

  it('deterministic=False and warn_only=True are what the options say', () => {
    const out = seeded('train_torch.py', read('train_torch.py'), { seed: 7, deterministic: false, warnOnly: true });
    assert.ok(out.includes('\nseed_everything(7, deterministic=False)\n'));
    assert.ok(out.includes('        torch.use_deterministic_algorithms(True, warn_only=True)  # warn on ops with no deterministic implementation\n'));
  });

  it('a second run with another seed updates the value in place (one edit, nothing added)', () => {
    const once = seeded('train_torch.py', read('train_torch.py'));
    const plan = planSeedForText(once, parsePython(once), { ...DEFAULTS, seed: 1234 });
    assert.equal(plan.edits.length, 1);
    assert.equal(applyTextEdits(once, plan.edits), once.replace('seed_everything(42, deterministic=True)', 'seed_everything(1234, deterministic=True)'));
  });

  it('a new framework import updates the function in place', () => {
    const once = seeded('keras_train.py', read('keras_train.py'));
    const more = once.replace('import numpy as np\n', 'import random\nimport numpy as np\n');
    const twice = seeded('keras_train.py', more);
    assert.equal(twice, more.replace('    np.random.seed(seed)', "    random.seed(seed)  # Python's global generator (random.shuffle, random.choice, ...)\n    np.random.seed(seed)"));
    assert.equal(twice.match(/def seed_everything/g)?.length, 1);
  });

  it('JAX added later turns the call into `key = seed_everything(...)`', () => {
    const once = seeded('keras_train.py', read('keras_train.py'));
    const withJax = once.replace('import numpy as np\n', 'import jax\nimport numpy as np\n');
    const out = seeded('keras_train.py', withJax);
    assert.ok(out.includes('\nkey = seed_everything(42, deterministic=True)\n'), out);
    assert.ok(out.includes('    return jax.random.PRNGKey(seed)  # JAX has no global RNG'), out);
  });
});

describe('planSeed idempotence (property)', () => {
  const random = seedrandom('initlens-seed-property');
  for (const name of CORPUS) {
    it(`${name}: twice equals once, for 25 random seeds and options`, () => {
      const text = read(name);
      for (let i = 0; i < 25; i++) {
        const options: SeedOptions = { seed: Math.floor(random() * (MAX_SEED + 1)), deterministic: random() < 0.5, warnOnly: random() < 0.5 };
        const once = seeded(name, text, options);
        assert.notEqual(once, text, 'the first run changes the file');
        assert.equal(seeded(name, once, options), once, JSON.stringify(options));
        // A later run with other options converges to the same file as a direct run with them.
        const other: SeedOptions = { seed: Math.floor(random() * 1000), deterministic: !options.deterministic, warnOnly: options.warnOnly };
        if (name !== 'own_helper.py' && name !== 'lightning_script.py') assert.equal(seeded(name, once, other), seeded(name, text, other));
      }
    });
  }
});

describe('initlens seed (CLI)', () => {
  const cli = (argv: string[], files: Record<string, string>) => {
    const r = runInMemory(argv, files, { writable: true });
    return { ...r, written: r.written ?? {} };
  };

  it('prints the patched file, or writes it with --write', () => {
    const text = read('train_torch.py');
    const printed = cli(['seed', 'train.py', '--seed', '7', '--no-deterministic'], { 'train.py': text });
    assert.deepEqual({ code: printed.code, stderr: printed.stderr, written: printed.written }, { code: 0, stderr: '', written: {} });
    assert.equal(printed.stdout, seeded('train.py', text, { seed: 7, deterministic: false, warnOnly: false }));
    const written = cli(['seed', 'train.py', '--write'], { 'train.py': text });
    assert.equal(written.code, 0);
    assert.equal(written.stdout, '');
    assert.deepEqual(written.written, { 'train.py': read('expected/train_torch.expected.py') });
    assert.match(written.stderr, /^train\.py: Inserted seed_everything\(42\) for random, numpy, torch; DataLoaders get seed_worker and a seeded generator; added import os\.\n$/);
  });

  it('seeds notebooks as JSON', () => {
    const out = cli(['seed', 'nb.ipynb'], { 'nb.ipynb': read('notebook.ipynb') });
    assert.equal(out.code, 0);
    assert.equal(out.stdout, read('expected/notebook.expected.ipynb'));
  });

  it('bad arguments: one line, exit 2', () => {
    for (const argv of [['seed'], ['seed', 'a.py', 'b.py'], ['seed', 'a.py', '--seed', 'x'], ['seed', 'a.py', '--seed', '-3'], ['seed', 'a.py', '--seed', String(MAX_SEED + 1)], ['seed', 'a.py', '--deterministic', '--no-deterministic'], ['seed', 'a.py', '--frob']]) {
      const r = cli(argv, { 'a.py': 'import torch\n' });
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^initlens: [^\n]+\(see 'initlens --help'\)\n$/, argv.join(' '));
    }
  });

  it('syntax errors and unreadable files: a message, exit 1, nothing written', () => {
    const broken = cli(['seed', 'broken.py', '--write'], { 'broken.py': read('broken.py') });
    assert.equal(broken.code, 1);
    assert.deepEqual(broken.written, {});
    assert.match(broken.stderr, /^initlens: broken\.py: line \d+ has a syntax error; the file was left unchanged\./);
    const missing = cli(['seed', 'nope.py'], {});
    assert.deepEqual({ code: missing.code, stderr: missing.stderr }, { code: 1, stderr: "initlens: cannot read 'nope.py' (ENOENT)\n" });
    const notNotebook = cli(['seed', 'x.ipynb'], { 'x.ipynb': '{"cells": 3}' });
    assert.equal(notNotebook.code, 1);
  });
});
