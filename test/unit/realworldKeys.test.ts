/**
 * The answer keys of the real-world corpus (written by scripts/realworld/keys.py from real PyTorch) stay in
 * sync with the pinned files: one key per corpus file, made from the same bytes, every entry at a line of
 * that file where a call is written. The scorer (bench/realworld.ts) relies on this.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../host/paths';

const DIR = path.join(ROOT, 'test', 'fixtures', 'realworld');
const STATUSES = ['instantiated', 'no-layers', 'not-instantiated', 'failed'];

interface Entry {
  readonly line: number;
  readonly type: string;
  readonly role: string;
  readonly contexts: number;
  readonly fanIn?: number;
  readonly fanOut?: number;
  readonly activation?: { kind: string; slope?: number } | null;
  readonly weightName?: string;
  readonly weightStd?: number;
  readonly weightStdSource?: string;
  readonly instances: readonly { name: string | null; params: readonly { name: string; shape: number[]; std: number }[] }[];
}

interface Key {
  readonly file: string;
  readonly sha256: string;
  readonly status: string;
  readonly reason?: string;
  readonly torch: string;
  readonly recipe?: string;
  readonly entries: readonly Entry[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as { files: { file: string; sha256: string }[] };

function key(file: string): Key {
  return JSON.parse(fs.readFileSync(path.join(DIR, 'keys', `${file}.json`), 'utf8')) as Key;
}

test('realworld keys: one per corpus file, made from the pinned bytes, every entry at a call in that file', () => {
  for (const f of manifest.files) {
    const k = key(f.file);
    assert.equal(k.file, f.file);
    assert.ok(STATUSES.includes(k.status), `${f.file}: status ${k.status}`);
    if (k.status !== 'instantiated') {
      assert.ok(k.reason && k.reason.length > 0, `${f.file}: ${k.status} without a reason`);
      assert.equal(k.entries.length, 0);
      continue;
    }
    assert.equal(k.sha256, f.sha256, `${f.file}: key made from other bytes than the pinned file`);
    assert.match(k.torch, /^\d+\.\d+/);
    assert.ok(k.recipe, `${f.file}: no recipe`);
    const lines = fs.readFileSync(path.join(DIR, f.file), 'utf8').split(/\r?\n/);
    assert.ok(k.entries.length > 0, `${f.file}: instantiated but no entries`);
    for (const e of k.entries) {
      assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines.length, `${f.file}: line ${e.line} of ${lines.length}`);
      const text = lines[e.line - 1];
      assert.ok(text.includes('(') && !text.trimStart().startsWith('#'), `${f.file}:${e.line} is not a call: ${text}`);
      assert.match(e.type, /^[A-Z]\w+$/);
      assert.ok(['weight', 'norm', 'other'].includes(e.role));
      assert.ok(e.instances.length >= 1 && e.contexts >= 1);
      if (e.role === 'weight') assert.ok(e.weightName, `${f.file}:${e.line}: weight entry without its main weight`);
      if (e.contexts === 1 && e.role === 'weight') assert.ok(Number.isInteger(e.fanIn) && Number.isInteger(e.fanOut), `${f.file}:${e.line}: fans`);
    }
  }
});

test('realworld keys: nanoGPT entries are what its GPTConfig defaults and _init_weights give', () => {
  // Worked out from model.py by hand: n_embd = 768, n_layer = 12, vocab_size = 50304, block_size = 1024;
  // _init_weights draws normal(0, 0.02) on Linear and Embedding weights, then every c_proj.weight is redrawn
  // with std 0.02 / sqrt(2 * n_layer).
  const k = key('karpathy/nanoGPT/model.py');
  const at = (line: number) => k.entries.find((e) => e.line === line);
  const cProj = 0.02 / Math.sqrt(2 * 12);
  const expected: [number, string, number, number, string, number][] = [
    [35, 'Linear', 768, 3 * 768, 'identity', 0.02], // c_attn
    [37, 'Linear', 768, 768, 'identity', cProj], // attn.c_proj
    [82, 'Linear', 768, 4 * 768, 'gelu', 0.02], // mlp.c_fc, then GELU
    [84, 'Linear', 4 * 768, 768, 'identity', cProj], // mlp.c_proj
    [127, 'Embedding', 768, 50304, 'identity', 0.02], // wte: torch's fan_in of an Embedding weight is its width
    [128, 'Embedding', 768, 1024, 'identity', 0.02], // wpe
    [133, 'Linear', 768, 50304, 'identity', 0.02], // lm_head (tied to wte)
  ];
  assert.deepEqual(k.entries.map((e) => e.line), expected.map((x) => x[0]));
  for (const [line, type, fanIn, fanOut, activation, std] of expected) {
    const e = at(line)!;
    assert.equal(e.type, type, `line ${line}`);
    assert.equal(e.fanIn, fanIn, `line ${line}`);
    assert.equal(e.fanOut, fanOut, `line ${line}`);
    assert.equal(e.activation?.kind, activation, `line ${line}`);
    assert.equal(e.weightStdSource, 'theory', `line ${line}`);
    assert.ok(Math.abs(e.weightStd! - std) < 1e-12, `line ${line}: ${e.weightStd} vs ${std}`);
  }
  // Blocks are built n_layer times: twelve instances of each block line, one of the others.
  assert.equal(at(82)!.instances.length, 12);
  assert.equal(at(133)!.instances.length, 1);
  // The measured std of each drawn weight is within 6 standard errors of its theory (a normal sample's std has
  // relative standard error 1 / sqrt(2n)).
  for (const e of k.entries) {
    for (const inst of e.instances) {
      const w = inst.params.find((p) => p.name === e.weightName)!;
      const n = w.shape.reduce((a, b) => a * b, 1);
      assert.ok(Math.abs(w.std - e.weightStd!) / e.weightStd! < 6 / Math.sqrt(2 * n), `${inst.name}: ${w.std}`);
    }
  }
});
