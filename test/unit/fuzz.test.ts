/**
 * Fuzz test of the core, run in CI: thousands of seeded mutations of real
 * files go through every entry point an editor or the CLI reaches. Asserted:
 *   - no exception (a refusal is an answer) and no input over the time bound;
 *   - incremental re-parse and re-analysis after each edit equal fresh ones,
 *     spans included;
 *   - every edit InitLens offers on a file CPython accepts yields a file
 *     CPython accepts, and planning it again on the result changes nothing.
 * INITLENS_FUZZ_INPUTS (default 2000), INITLENS_FUZZ_SEED and INITLENS_FUZZ_FROM
 * replay or extend a run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { IncrementalParser, parsePython, type TextEdit, type Tree } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { ROOT } from '../host/paths';
import { Compiler, havePython, type Verdict } from '../fuzz/cpython';
import { applyTextEdits, drive, snapshot, type OfferedEdit } from '../fuzz/drive';
import { apply, gentleMutation, mutation, rng, variant, type Random } from '../fuzz/mutate';

const INPUTS = Number(process.env.INITLENS_FUZZ_INPUTS ?? 2000);
const SEED = process.env.INITLENS_FUZZ_SEED ?? 'initlens-fuzz-1';
/** The first input's index: INITLENS_FUZZ_FROM=K INITLENS_FUZZ_INPUTS=1 replays input K alone. */
const FROM = Number(process.env.INITLENS_FUZZ_FROM ?? 0);
/** A single input may take this long through every entry point; more means unbounded work. */
const INPUT_BOUND_MS = 2000;

function corpus(): { name: string; text: string }[] {
  const dirs = ['test/fixtures/models', 'test/fixtures/seed', 'test/fixtures/reliability', 'test/fixtures/realworld', 'examples'];
  const out: { name: string; text: string }[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.py')) out.push({ name: path.relative(ROOT, full), text: fs.readFileSync(full, 'utf8') });
    }
  };
  for (const d of dirs) walk(path.join(ROOT, d));
  return out;
}

/** Node names and positions of the whole tree. */
function treeShape(tree: Tree): string {
  const parts: string[] = [];
  tree.iterate({ enter: (n) => void parts.push(`${n.name}@${n.from}-${n.to}`) });
  return parts.join(' ');
}

/** INITLENS_FUZZ_DUMP=DIR writes each failing case there (input and results) for replay. */
function dump(name: string, files: Record<string, string>): void {
  const dir = process.env.INITLENS_FUZZ_DUMP;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}.${k}.py`), v);
}

interface Case {
  readonly id: string;
  readonly text: string;
  readonly offered: readonly OfferedEdit[];
}

function int(r: Random, n: number): number {
  return Math.floor(r() * n);
}

test(`fuzz: ${INPUTS} mutated real files through every core entry point`, { timeout: Math.max(180_000, INPUTS * 150) }, async (t) => {
  const files = corpus();
  assert.ok(files.length >= 10, `the fuzz corpus has ${files.length} files`);
  const exceptions: string[] = [];
  const slow: string[] = [];
  const divergent: string[] = [];
  const cases: Case[] = [];
  let edits = 0;
  const started = Date.now();
  for (let i = FROM; i < FROM + INPUTS; i++) {
    const id = `${SEED}:${i}`;
    const r = rng(id);
    const base = files[int(r, files.length)]!;
    const donor = files[int(r, files.length)]!.text;
    let text = variant(r, base.text);
    const parser = new IncrementalParser(text);
    const analyzer = new ModelAnalyzer();
    try {
      const tree0 = parser.tree;
      analyzer.analyze(tree0, text, { imports: analyzeSeeding(tree0, text).imports });
      // Half the inputs stay close to valid Python, so the edit properties get exercised.
      const gentle = r() < 0.5;
      for (let step = 0, steps = 1 + int(r, 3); step < steps; step++) {
        const edit = gentle ? gentleMutation(r, text) : mutation(r, text, donor);
        // Typing: a short insertion arrives one character per change event.
        const batches: TextEdit[] = edit.length === 0 && edit.text.length <= 12 && r() < 0.4 ? [...edit.text].map((c, k) => ({ offset: edit.offset + k, length: 0, text: c })) : [edit];
        const before = text;
        for (const b of batches) {
          parser.applyEdits([b]);
          text = apply(text, b);
        }
        edits += batches.length;
        const tree = parser.tree;
        assert.equal(parser.text, text);
        const seeding = analyzeSeeding(tree, text);
        const incremental = snapshot(tree, text, analyzer.analyze(tree, text, { imports: seeding.imports }), seeding);
        const freshTree = parsePython(text);
        const freshSeeding = analyzeSeeding(freshTree, text);
        const freshSnapshot = snapshot(freshTree, text, new ModelAnalyzer().analyze(freshTree, text, { imports: freshSeeding.imports }), freshSeeding);
        if (treeShape(tree) !== treeShape(freshTree)) divergent.push(`${id} (${base.name}) step ${step}: incremental parse differs from a fresh parse`);
        else if (incremental !== freshSnapshot) divergent.push(`${id} (${base.name}) step ${step}: incremental analysis differs from a fresh one`);
        else continue;
        dump(`${id}-step${step}-divergent`, { before, edits: JSON.stringify(batches), text, incremental, fresh: freshSnapshot, treeIncremental: treeShape(tree).replace(/ /g, '\n'), treeFresh: treeShape(freshTree).replace(/ /g, '\n') });
      }
    } catch (error) {
      exceptions.push(`${id} (${base.name}) incremental: ${error instanceof Error ? error.stack?.split('\n').slice(0, 3).join(' | ') : String(error)}`);
      continue;
    }
    const t0 = performance.now();
    const result = drive(text);
    const ms = performance.now() - t0;
    if (ms > INPUT_BOUND_MS) slow.push(`${id} (${base.name}): ${ms.toFixed(0)} ms`);
    for (const e of result.errors) exceptions.push(`${id} (${base.name}) ${e}`);
    cases.push({ id: `${id} (${base.name})`, text, offered: result.offered });
  }
  const driveSeconds = (Date.now() - started) / 1000;

  // Edits, on the inputs CPython accepts (all of them where CPython is absent):
  // the result is valid Python reading no new unbound name, and planning the
  // same thing again changes nothing.
  const nonIdempotent: string[] = [];
  const broken: string[] = [];
  const compiler = havePython() ? new Compiler() : undefined;
  let checkedByPython = 0;
  try {
    const verdicts: (Verdict | undefined)[] = compiler ? await compiler.compile(cases.map((c) => c.text)) : cases.map(() => undefined);
    const edited: { case: Case; was: Verdict; label: string; text: string }[] = [];
    cases.forEach((c, k) => {
      const was = verdicts[k];
      if (was && !was.ok) return;
      for (const o of c.offered) {
        try {
          const once = applyTextEdits(c.text, o.edits);
          const twice = applyTextEdits(once, o.again(once));
          if (twice !== once) {
            nonIdempotent.push(`${c.id} ${o.label}`);
            dump(`${c.id}-${o.label}-nonidempotent`, { input: c.text, once, twice });
          }
          if (was) edited.push({ case: c, was, label: o.label, text: once });
        } catch (error) {
          exceptions.push(`${c.id} ${o.label} (re-plan): ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
    if (compiler) {
      const after = await compiler.compile(edited.map((e) => e.text));
      edited.forEach((e, k) => {
        const now = after[k]!;
        const wasUnbound = e.was.ok ? e.was.unbound : null;
        const unbound = now.ok && now.unbound && wasUnbound ? now.unbound.filter((n) => !wasUnbound.includes(n)) : [];
        if (now.ok && unbound.length === 0) return;
        broken.push(`${e.case.id} ${e.label}: ${now.ok ? `reads unbound ${unbound.join(', ')}` : now.error}`);
        dump(`${e.case.id}-${e.label}-broken`, { input: e.case.text, once: e.text });
      });
      checkedByPython = edited.length;
      t.diagnostic(`CPython accepts ${verdicts.filter((v) => v?.ok).length} of ${cases.length} inputs; ${checkedByPython} edits on them checked by CPython`);
    } else {
      t.diagnostic('CPython (/usr/bin/python3) is absent: edits were checked for idempotence on every input, but NOT for keeping files valid');
    }
  } finally {
    compiler?.close();
  }
  const offeredCount = cases.reduce((a, c) => a + c.offered.length, 0);
  t.diagnostic(`seed ${SEED}: ${INPUTS} inputs, ${edits} incremental edits, ${offeredCount} offered edits, ${driveSeconds.toFixed(1)} s`);
  const show = (xs: string[]) => `${xs.length}:\n  ${xs.slice(0, 8).join('\n  ')}`;
  assert.deepEqual({ exceptions: exceptions.length, slow: slow.length, divergent: divergent.length, nonIdempotent: nonIdempotent.length, broken: broken.length }, { exceptions: 0, slow: 0, divergent: 0, nonIdempotent: 0, broken: 0 },
    [`exceptions ${show(exceptions)}`, `slow ${show(slow)}`, `divergent ${show(divergent)}`, `non-idempotent ${show(nonIdempotent)}`, `edits that break valid Python ${show(broken)}`].join('\n'));
  if (havePython()) assert.ok(checkedByPython > INPUTS / 4, `only ${checkedByPython} edits were checked by CPython`);
});
