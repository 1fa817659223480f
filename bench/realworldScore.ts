/**
 * InitLens against answer keys made by real PyTorch (issue 11, "How it is checked"): each corpus file of
 * test/fixtures/realworld is analyzed as the extension analyzes it, its layers are matched to the key
 * (keys/<file>.json, written by scripts/realworld/keys.py) by line and type, and four figures are printed:
 *
 * - sites: key entries (weight layers and norms) with an InitLens layer of that type at that line;
 * - fans: weight entries whose one context gives fans, where InitLens gives the same two numbers;
 * - activation: weight entries with a known activation (fx/forward trace or built in), where InitLens names it;
 * - init std: weight entries with one std for the init in effect, where InitLens's current init has that std:
 *   within 1% of torch's formula when the key has it, else within the key's tolerance of the measured std.
 *
 * A key entry matched by several InitLens layers (one class seen from two models) is right only if all are.
 * Sites built in several contexts with different fans (BasicBlock in ResNet18's four stages) have no single
 * right number: they are counted apart, with how many of them InitLens gives one number for (all its layers at
 * the line that have numbers agree on one pair of fans).
 * The scoring; bench/realworld.ts prints it (`npm run score [-- --misses]`) and test/unit/realworldScore.test.ts
 * holds it to its floors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIMITS } from '../src/core/limits';
import { ModelAnalyzer, type ExternalSite } from '../src/core/model/analyze';
import { documentSignatures, externalSites } from '../src/core/workspace/externalSites';
import type { Layer } from '../src/core/model/types';
import { parsePython, type Tree } from '../src/core/python/parse';

/** Relative tolerance on a std from torch's formula (issue 11). */
const THEORY_TOLERANCE = 0.01;

interface KeyActivation {
  readonly kind: string;
  readonly slope?: number;
}

interface KeyEntry {
  readonly line: number;
  readonly type: string;
  readonly role: 'weight' | 'norm' | 'other';
  readonly contexts: number;
  readonly fanIn?: number;
  readonly fanOut?: number;
  readonly activation?: KeyActivation | null;
  readonly weightName?: string;
  readonly weightStd?: number;
  readonly weightStdSource?: 'theory' | 'measured';
  readonly weightStdTolerance?: number;
}

interface Key {
  readonly file: string;
  readonly status: 'instantiated' | 'no-layers' | 'not-instantiated' | 'failed';
  readonly reason?: string;
  readonly entries: readonly KeyEntry[];
}

/** Right and total for one figure. */
export class Tally {
  right = 0;
  total = 0;
  add(ok: boolean): void {
    this.total++;
    if (ok) this.right++;
  }
  merge(o: Tally): void {
    this.right += o.right;
    this.total += o.total;
  }
  toString(): string {
    return this.total === 0 ? '–' : `${this.right}/${this.total} ${((100 * this.right) / this.total).toFixed(1)}%`;
  }
}

export interface Row {
  readonly file: string;
  readonly sites: Tally;
  readonly fans: Tally;
  readonly activation: Tally;
  readonly std: Tally;
  /** Sites with several fan contexts, and how many of them InitLens gives one number for. */
  multi: number;
  multiNumbered: number;
}

function fansRight(layer: Layer, e: KeyEntry): boolean {
  return layer.fanIn === e.fanIn && layer.fanOut === e.fanOut;
}

const DEFAULT_LEAKY_SLOPE = 0.01;

function activationRight(layer: Layer, a: KeyActivation): boolean {
  const got = layer.activation?.activation;
  if (!got || got.kind !== a.kind) return false;
  if (a.kind !== 'leaky_relu') return true;
  return Math.abs((got.slope ?? DEFAULT_LEAKY_SLOPE) - (a.slope ?? DEFAULT_LEAKY_SLOPE)) < 1e-9;
}

function stdRight(layer: Layer, e: KeyEntry): boolean {
  const param = layer.params.find((p) => p.name === e.weightName);
  const std = param?.resolved?.std;
  if (std === undefined || e.weightStd === undefined) return false;
  const tolerance = e.weightStdSource === 'theory' ? THEORY_TOLERANCE : (e.weightStdTolerance ?? THEORY_TOLERANCE);
  return e.weightStd === 0 ? std === 0 : Math.abs(std - e.weightStd) / e.weightStd <= tolerance;
}

export interface Miss {
  readonly file: string;
  readonly line: number;
  readonly type: string;
  readonly what: string;
}

function describe(layers: readonly Layer[], f: (l: Layer) => string): string {
  return layers.length ? layers.map(f).join(' | ') : 'no layer';
}

/**
 * The constructions in a driver script (drivers/<file>, see its README) of the classes of `file`, as the
 * extension finds them in a workspace where the script sits beside the file and imports it.
 */
function driverSites(corpus: string, file: string, text: string, tree: Tree): ExternalSite[] {
  const driver = path.join(corpus, 'drivers', file);
  if (!fs.existsSync(driver)) return [];
  const script = fs.readFileSync(driver, 'utf8');
  const target = path.join(corpus, file);
  const beside = path.join(path.dirname(target), `build_${path.basename(file)}`);
  // The files the script imports (its model classes' files beside it), read as the extension reads the workspace's.
  const read = (p: string) => (p.startsWith(`${corpus}${path.sep}`) && fs.existsSync(p) && fs.statSync(p).isFile() && fs.statSync(p).size <= LIMITS.workspaceFileBytes.value ? fs.readFileSync(p, 'utf8') : undefined);
  return externalSites(target, documentSignatures(tree, text), { path: beside, text: script, tree: parsePython(script) }, [corpus], [], read);
}

function score(key: Key, text: string, misses: Miss[], external: (tree: Tree) => readonly ExternalSite[]): Row {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { external: external(tree) });
  const byLine = new Map<number, Layer[]>();
  for (const model of analysis.models) {
    for (const layer of model.layers) {
      const list = byLine.get(layer.line) ?? [];
      list.push(layer);
      byLine.set(layer.line, list);
    }
  }
  const row: Row = { file: key.file, sites: new Tally(), fans: new Tally(), activation: new Tally(), std: new Tally(), multi: 0, multiNumbered: 0 };
  const miss = (e: KeyEntry, what: string) => misses.push({ file: key.file, line: e.line, type: e.type, what });
  for (const e of key.entries) {
    const atLine = byLine.get(e.line - 1) ?? [];
    const layers = atLine.filter((l) => l.type === e.type);
    const found = layers.length > 0;
    row.sites.add(found);
    if (!found) miss(e, `site: InitLens has ${describe(atLine, (l) => l.type)} at this line`);
    if (e.role !== 'weight') continue;
    if (e.contexts > 1) {
      row.multi++;
      // One number for all contexts: every numbered InitLens layer at the line gives the same fans (a loop
      // unrolled inside one class gives one layer per iteration, each with its own numbers: that is right).
      const numbered = new Set(layers.filter((l) => typeof l.fanIn === 'number' || typeof l.fanOut === 'number').map((l) => `${JSON.stringify(l.fanIn)}→${JSON.stringify(l.fanOut)}`));
      if (numbered.size === 1) {
        row.multiNumbered++;
        miss(e, `fans: ${e.contexts} contexts, InitLens gives one number`);
      }
    } else if (e.fanIn !== undefined) {
      const ok = found && layers.every((l) => fansRight(l, e));
      row.fans.add(ok);
      if (!ok) miss(e, `fans: key ${e.fanIn} → ${e.fanOut}, InitLens ${describe(layers, (l) => `${JSON.stringify(l.fanIn)} → ${JSON.stringify(l.fanOut)}`)}`);
    }
    if (e.activation) {
      const a = e.activation;
      const ok = found && layers.every((l) => activationRight(l, a));
      row.activation.add(ok);
      if (!ok) miss(e, `activation: key ${a.kind}${a.slope !== undefined ? `(${a.slope})` : ''}, InitLens ${describe(layers, (l) => l.activation?.activation.kind ?? 'unknown')}`);
    }
    if (e.weightStd !== undefined) {
      const ok = found && layers.every((l) => stdRight(l, e));
      row.std.add(ok);
      if (!ok) {
        const got = (l: Layer) => `${l.params.find((p) => p.name === e.weightName)?.resolved?.std ?? 'none'} (${l.params.find((p) => p.name === e.weightName)?.current.label ?? 'no such parameter'})`;
        miss(e, `std: key ${e.weightStd} (${e.weightStdSource}), InitLens ${describe(layers, got)}`);
      }
    }
  }
  return row;
}

/** The corpus scored: a row per keyed file, the total, files without a scorable key, and every miss. */
export interface CorpusScore {
  readonly rows: readonly Row[];
  readonly total: Row;
  readonly unscored: readonly string[];
  readonly misses: readonly Miss[];
}

/**
 * Scores the corpus: each file on its own, or (`withDrivers`) with the script that builds its model as its
 * key did beside it, where the corpus has one.
 */
export function scoreCorpus(corpus: string, withDrivers = false): CorpusScore {
  const keys = path.join(corpus, 'keys');
  const manifest = JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as { files: { file: string }[] };
  const rows: Row[] = [];
  const unscored: string[] = [];
  const misses: Miss[] = [];
  for (const { file } of manifest.files) {
    const keyPath = path.join(keys, `${file}.json`);
    if (!fs.existsSync(keyPath)) {
      unscored.push(`${file}: no key`);
      continue;
    }
    const key = JSON.parse(fs.readFileSync(keyPath, 'utf8')) as Key;
    if (key.status !== 'instantiated') {
      unscored.push(`${file}: ${key.status} (${key.reason ?? ''})`);
      continue;
    }
    const text = fs.readFileSync(path.join(corpus, file), 'utf8');
    rows.push(score(key, text, misses, (tree) => (withDrivers ? driverSites(corpus, file, text, tree) : [])));
  }
  const total: Row = { file: 'total', sites: new Tally(), fans: new Tally(), activation: new Tally(), std: new Tally(), multi: 0, multiNumbered: 0 };
  for (const r of rows) {
    total.sites.merge(r.sites);
    total.fans.merge(r.fans);
    total.activation.merge(r.activation);
    total.std.merge(r.std);
    total.multi += r.multi;
    total.multiNumbered += r.multiNumbered;
  }
  return { rows, total, unscored, misses };
}
