/**
 * The advice corpora of test/fixtures/advice: `healthy/expected.json` (real
 * published models of test/fixtures/realworld, referenced by path) and
 * `broken/expected.json` (the seed article's failures, written for it), each
 * with the expected verdict per layer. Scoring is pure; bench/advice.ts prints
 * it and test/unit/adviceCorpus.test.ts holds the targets.
 */
import { ModelAnalyzer } from '../model/analyze';
import type { Layer, Model, ModelAnalysis } from '../model/types';
import { parsePython } from '../python/parse';
import { adviseAnalysis, type Advice } from './judge';

export type Expected = Readonly<Record<string, Readonly<Record<string, { readonly level: string; readonly rule: string }>>>>;

export interface CorpusFile {
  readonly corpus: 'healthy' | 'broken';
  readonly file: string;
  readonly text: string;
  readonly analysis: ModelAnalysis;
  readonly advice: Advice;
  /** `Model.layer` → the layer and its model. */
  readonly layers: ReadonlyMap<string, { readonly model: Model; readonly layer: Layer }>;
}

export function loadCorpusFile(corpus: 'healthy' | 'broken', file: string, text: string): CorpusFile {
  const analysis = new ModelAnalyzer().analyze(parsePython(text), text);
  const layers = new Map<string, { model: Model; layer: Layer }>();
  for (const model of analysis.models) for (const layer of model.layers) layers.set(`${model.name}.${layer.name}`, { model, layer });
  return { corpus, file, text, analysis, advice: adviseAnalysis(analysis, text), layers };
}

export interface Score {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly precision: number;
  readonly recall: number;
  /** Healthy layers with a ⚠ (target 0). */
  readonly healthyWarnings: number;
  /** Broken files with no ⚠ at all (target 0). */
  readonly brokenMissed: number;
  /** Layers whose verdict level differs from the expected one. */
  readonly mismatches: readonly string[];
}

/** Precision and recall of ⚠ over every expected layer of the corpora. */
export function score(files: readonly CorpusFile[], expected: { healthy: Expected; broken: Expected }): Score {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let healthyWarnings = 0;
  let brokenMissed = 0;
  const mismatches: string[] = [];
  for (const f of files) {
    const want = (f.corpus === 'healthy' ? expected.healthy : expected.broken)[f.file] ?? {};
    let any = false;
    for (const [key, { layer }] of f.layers) {
      const v = f.advice.verdict(layer);
      const exp = want[key];
      if (!v && !exp) continue;
      const got = v?.level === 'warning';
      const should = exp?.level === 'warning';
      any ||= got;
      if (got && should) tp++;
      else if (got) fp++;
      else if (should) fn++;
      if (got && f.corpus === 'healthy') healthyWarnings++;
      if ((v?.level ?? 'none') !== (exp?.level ?? 'none')) mismatches.push(`${f.file} ${key}: ${v?.level ?? 'none'} (expected ${exp?.level ?? 'none'})`);
    }
    if (f.corpus === 'broken' && !any) brokenMissed++;
  }
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn), healthyWarnings, brokenMissed, mismatches };
}
