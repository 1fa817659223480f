/**
 * The advice corpora of test/fixtures/advice and their answer keys: `healthy`
 * (real published models of test/fixtures/realworld, referenced by path) and
 * `broken` (the seed article's failures, written for it). The keys
 * (`<corpus>/keys.json`) are measured in PyTorch by scripts/advice/keys.py —
 * every model built as its file builds it, run forward and backward, each
 * weight layer classified by the README's thresholds — never taken from
 * InitLens. Scoring is pure; bench/advice.ts prints it and
 * test/unit/adviceCorpus.test.ts holds the targets.
 */
import { ModelAnalyzer } from '../model/analyze';
import type { Layer, Model, ModelAnalysis } from '../model/types';
import { parsePython, type Tree } from '../python/parse';
import type { Tf } from '../signal/engine';
import { adviseAnalysis, type Advice } from './judge';
import { measureAnalysis } from './measure';
import type { Measurements } from './measured';
import { DEFAULT_ADVICE } from './rules';

/**
 * One layer of a key: the level torch's measurement gives (`ok` or `warning`) and why, with its figures;
 * `rule: 'pretrained'` for a layer a documented load overwrites (not measured: no init advice applies).
 */
export interface KeyLayer {
  readonly level: 'ok' | 'warning';
  readonly rule?: 'pretrained';
  readonly why: string;
  readonly instances: number;
  readonly forward?: number | null;
  readonly backward?: number | null;
}

/** `<corpus>/keys.json`: per file, per `Model.layer`. */
export interface CorpusKey {
  readonly provenance: { readonly script: string; readonly torch: string; readonly date: string; readonly thresholds: { readonly limit: number; readonly own: number } };
  readonly files: Readonly<Record<string, Readonly<Record<string, KeyLayer>>>>;
}

/**
 * A layer where InitLens's ⚠ and the measured key may differ by design, with the reason.
 * Counted apart in the score (neither agreement nor error), so that every one is visible.
 */
export interface Disagreement {
  readonly corpus: 'healthy' | 'broken';
  readonly file: string;
  readonly layer: string;
  readonly reason: string;
}

export interface CorpusFile {
  readonly corpus: 'healthy' | 'broken';
  readonly file: string;
  readonly text: string;
  readonly analysis: ModelAnalysis;
  readonly advice: Advice;
  /** The measured gains the advice used, when measured. */
  readonly measured?: Measurements;
  /** `Model.layer` → the layer and its model. */
  readonly layers: ReadonlyMap<string, { readonly model: Model; readonly layer: Layer }>;
}

export function loadCorpusFile(corpus: 'healthy' | 'broken', file: string, text: string, measured?: (analysis: ModelAnalysis, tree: Tree) => Measurements): CorpusFile {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const layers = new Map<string, { model: Model; layer: Layer }>();
  // A module-level layer (`model_ft.fc = nn.Linear(...)`) is the model itself: its key is the model's name.
  for (const model of analysis.models) for (const layer of model.layers) layers.set(layer.name ? `${model.name}.${layer.name}` : model.name, { model, layer });
  const m = measured?.(analysis, tree);
  return { corpus, file, text, analysis, advice: adviseAnalysis(analysis, text, m ? { ...DEFAULT_ADVICE, measured: m } : DEFAULT_ADVICE), layers, ...(m ? { measured: m } : {}) };
}

/** The same with the gains the signal engine measures (measure.ts) wherever it can run a model: the editor's and `analyze`'s judgement. */
export async function measureCorpusFile(corpus: 'healthy' | 'broken', file: string, text: string, tf: Tf, backend: string): Promise<CorpusFile> {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const { measurements } = await measureAnalysis(tf, backend, analysis, tree, text);
  return loadCorpusFile(corpus, file, text, () => measurements);
}

export interface Score {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** Of InitLens's ⚠, how many the key has. */
  readonly precision: number;
  /** Of the key's warnings, how many InitLens shows ⚠ on. */
  readonly recall: number;
  /** Healthy layers with a ⚠ (target 0). */
  readonly healthyWarnings: number;
  /** Broken files with no ⚠ at all (target 0). */
  readonly brokenMissed: number;
  /** Layers where ⚠ and the key differ, other than the documented disagreements. */
  readonly mismatches: readonly string[];
  /** Layers InitLens judges that the key has no entry for, and key layers InitLens does not judge. */
  readonly unmatched: readonly string[];
  /** The documented disagreements that did occur. */
  readonly documented: readonly string[];
  /**
   * Key layers loaded pretrained (rule `pretrained`) that InitLens shows no advice on: inside a
   * library model (torchvision's resnet18), so not among the layers it reads, and no advice is
   * what a loaded layer gets. Agreements; a judged one must carry the `pretrained` verdict.
   */
  readonly pretrainedUnadvised: number;
}

/** Precision and recall of ⚠ against the measured keys, over every judged layer of the corpora. */
export function score(files: readonly CorpusFile[], keys: { readonly healthy: CorpusKey; readonly broken: CorpusKey }, disagreements: readonly Disagreement[] = []): Score {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let healthyWarnings = 0;
  let brokenMissed = 0;
  const mismatches: string[] = [];
  const unmatched: string[] = [];
  const documented: string[] = [];
  let pretrainedUnadvised = 0;
  const isDocumented = (f: CorpusFile, name: string) => disagreements.some((d) => d.corpus === f.corpus && d.file === f.file && d.layer === name);
  for (const f of files) {
    const key = keys[f.corpus].files[f.file] ?? {};
    let any = false;
    const judged = new Set<string>();
    for (const [name, { layer }] of f.layers) {
      const v = f.advice.verdict(layer);
      if (!v) continue;
      judged.add(name);
      const got = v.level === 'warning';
      any ||= got;
      if (got && f.corpus === 'healthy') healthyWarnings++;
      const want = key[name];
      if (!want) {
        unmatched.push(`${f.file} ${name}: judged (${v.level}), not in the key`);
        continue;
      }
      const should = want.level === 'warning';
      if (want.rule === 'pretrained' && v.rule !== 'pretrained') {
        mismatches.push(`${f.file} ${name}: InitLens ${v.level} (${v.rule}), torch: pretrained (${want.why})`);
        if (got) fp++;
        continue;
      }
      if (got !== should && isDocumented(f, name)) {
        documented.push(`${f.file} ${name}`);
        continue;
      }
      if (got && should) tp++;
      else if (got) fp++;
      else if (should) fn++;
      if (got !== should) mismatches.push(`${f.file} ${name}: InitLens ${v.level}, torch ${want.level} (${want.why})`);
    }
    for (const name of Object.keys(key)) {
      if (judged.has(name)) continue;
      if (key[name].rule === 'pretrained') pretrainedUnadvised++;
      else if (isDocumented(f, name)) documented.push(`${f.file} ${name}`);
      else unmatched.push(`${f.file} ${name}: in the key (${key[name].level}), not judged`);
    }
    if (f.corpus === 'broken' && !any) brokenMissed++;
  }
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    healthyWarnings,
    brokenMissed,
    mismatches,
    unmatched,
    documented,
    pretrainedUnadvised,
  };
}
