/**
 * Runs one document through every core entry point an editor or the CLI
 * reaches, and returns what the fuzz test checks: the exceptions thrown (a
 * refusal, `EditRefused`, is an answer, not an exception), every edit plan
 * offered with a way to re-plan it on the edited text, and a snapshot of the
 * analyses for comparing incremental with fresh results.
 */
import { checkDocument } from '../../src/core/diagnostics/rules';
import { EditRefused, planApply } from '../../src/core/edits/applyInit';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { describeModel, layerSummary } from '../../src/core/model/describe';
import { mainParam } from '../../src/core/model/layer';
import type { Model, ModelAnalysis } from '../../src/core/model/types';
import { layerRows, previewPlan, previewProblem, seedFromFile } from '../../src/core/preview/requests';
import { parsePython, syntaxErrors, type TextEdit, type Tree } from '../../src/core/python/parse';
import { analyzeSeeding, type SeedingAnalysis } from '../../src/core/seeding/analyze';
import { seedIpynb } from '../../src/core/seeding/notebook';
import { applyTextEdits } from '../../src/core/edits/apply';
import { planSeedForText, type SeedOptions } from '../../src/core/seeding/plan';
import { seedReportMarkdown, seedSummary } from '../../src/core/seeding/report';
import { exactSection } from '../../src/core/torch/program';
import { DEFAULT_CONTROLS } from '../../src/webview/protocol';
import { runInMemory } from '../unit/cliHarness';

export const SEED_OPTIONS: SeedOptions = { seed: 42, deterministic: true, warnOnly: false };

/** An edit InitLens offered, and how to plan the same thing again on the edited text. */
export interface OfferedEdit {
  readonly label: string;
  readonly edits: readonly TextEdit[];
  /** The plan for the same request on `text` (the result of the first application); [] when nothing is left to do. */
  readonly again: (text: string) => readonly TextEdit[];
}

export interface Drive {
  readonly errors: string[];
  readonly offered: OfferedEdit[];
}

/** A stable, comparable snapshot of both analyses (spans included). */
export function snapshot(tree: Tree, text: string, models: ModelAnalysis, seeding: SeedingAnalysis): string {
  const errors = syntaxErrors(tree, text);
  return JSON.stringify({ errors, models, seeding, findings: checkDocument({ text, tree, seeding, models }, SEED_OPTIONS) }, (_k, v) =>
    typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

function fresh(text: string): { tree: Tree; seeding: SeedingAnalysis; models: ModelAnalysis } {
  const tree = parsePython(text);
  const seeding = analyzeSeeding(tree, text);
  const models = new ModelAnalyzer().analyze(tree, text, { imports: seeding.imports });
  return { tree, seeding, models };
}

function describeError(where: string, error: unknown): string {
  const e = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 4).join('\n')}` : String(error);
  return `${where}: ${e}`;
}

/** Calls `f`; an exception other than a refusal is recorded. */
function guard<T>(errors: string[], where: string, f: () => T): T | undefined {
  try {
    return f();
  } catch (error) {
    if (!(error instanceof EditRefused)) errors.push(describeError(where, error));
    return undefined;
  }
}

/** Where `offset` moves to when `edits` are applied (an edit at or after it leaves it in place). */
function shifted(offset: number, edits: readonly TextEdit[]): number {
  return offset + edits.filter((e) => e.offset + e.length <= offset && !(e.length === 0 && e.offset === offset)).reduce((a, e) => a + e.text.length - e.length, 0);
}

/** Runs every entry point over `text`. */
export function drive(text: string): Drive {
  const errors: string[] = [];
  const offered: OfferedEdit[] = [];
  const base = guard(errors, 'analysis', () => fresh(text));
  if (!base) return { errors, offered };
  const { tree, seeding, models } = base;
  guard(errors, 'seedSummary', () => seedSummary(seeding));
  guard(errors, 'seedReportMarkdown', () => seedReportMarkdown(seeding, text, 'fuzz.py'));
  guard(errors, 'seedFromFile', () => seedFromFile(seeding));
  const findings = guard(errors, 'checkDocument', () => checkDocument({ text, tree, seeding, models }, SEED_OPTIONS)) ?? [];

  for (const model of models.models) {
    guard(errors, 'describeModel', () => describeModel(model));
    guard(errors, 'layerRows', () => layerRows(model));
    for (const layer of model.layers) {
      guard(errors, 'layerSummary', () => layerSummary(layer));
      guard(errors, 'exactSection', () => exactSection(model, layer, { tree, text, seeding, models }));
      if (!guard(errors, 'previewProblem', () => previewProblem(layer)) && mainParam(layer)) {
        guard(errors, 'previewPlan', () => previewPlan(model, layer, DEFAULT_CONTROLS));
      }
    }
    const nth = namesakes(models.models, model).indexOf(model);
    const whole = guard(errors, 'planApply', () => planApply(model, text, seeding.imports));
    if (whole && whole.edits.length > 0) offered.push({ label: `apply ${model.name}`, edits: whole.edits, again: (t) => replanApply(t, model, nth) });
    const first = model.layers.find((l) => mainParam(l)?.recommendation);
    if (first) {
      const one = guard(errors, 'planApply(layer)', () => planApply(model, text, seeding.imports, [first]));
      if (one && one.edits.length > 0) offered.push({ label: `apply ${model.name}.${first.name}`, edits: one.edits, again: (t) => replanApply(t, model, nth, first.name) });
    }
  }
  const seedPlan = guard(errors, 'planSeed', () => planSeedForText(text, tree, SEED_OPTIONS));
  if (seedPlan && seedPlan.edits.length > 0) offered.push({ label: 'insert seed', edits: seedPlan.edits, again: (t) => replanSeed(t) });
  for (const finding of findings) {
    const fix = finding.fix;
    if (!fix || fix.edits.length === 0) continue;
    offered.push({
      label: `fix ${finding.rule}`,
      edits: fix.edits,
      // The same rule at the same place (moved by the fix), if it is still there.
      again: (t) => {
        const at = shifted(finding.from, fix.edits);
        return checkDocument({ text: t, ...fresh(t) }, SEED_OPTIONS).find((g) => g.rule === finding.rule && g.from === at)?.fix?.edits ?? [];
      },
    });
  }
  const notebook = JSON.stringify({ cells: [{ cell_type: 'code', metadata: {}, source: text.split(/(?<=\n)/), outputs: [], execution_count: null }], metadata: {}, nbformat: 4, nbformat_minor: 5 });
  guard(errors, 'seedIpynb', () => seedIpynb(notebook, SEED_OPTIONS));
  for (const argv of [['analyze', 'f.py', '--json'], ['report', 'f.py', '--json'], ['seed', 'f.py'], ['model', 'f.py', '--torch-exact', '--values', '2']]) {
    guard(errors, `cli ${argv[0]}`, () => {
      const run = runInMemory(argv, { 'f.py': text });
      if (typeof run.code !== 'number') throw new Error('unexpected async CLI result');
      if (/\n\s+at /.test(run.stderr)) throw new Error(`stack trace on stderr: ${run.stderr.slice(0, 300)}`);
    });
  }
  return { errors, offered };
}

/** Models of one name and kind, in document order (a file may define `M` twice). */
function namesakes(models: readonly Model[], model: Model): Model[] {
  return models.filter((m) => m.name === model.name && m.kind === model.kind);
}

function replanApply(text: string, model: Model, nth: number, layerName?: string): readonly TextEdit[] {
  const f = fresh(text);
  const again = namesakes(f.models.models, model)[nth];
  if (!again) return [];
  try {
    const layers = layerName === undefined ? undefined : again.layers.filter((l) => l.name === layerName);
    return planApply(again, text, f.seeding.imports, layers).edits;
  } catch (error) {
    if (error instanceof EditRefused) return [];
    throw error;
  }
}

function replanSeed(text: string): readonly TextEdit[] {
  try {
    return planSeedForText(text, parsePython(text), SEED_OPTIONS).edits;
  } catch (error) {
    if (error instanceof EditRefused) return [];
    throw error;
  }
}

export { applyTextEdits };
