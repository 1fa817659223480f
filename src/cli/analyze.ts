/**
 * `initlens analyze FILE... [--json]`: the models of each file, per layer its
 * type, fans, parameters, activation, the initialization in effect and the
 * recommended one with its numbers and code line. Classes built in other
 * files of the project get those constructions' arguments ({@link ProjectScan}).
 */
import { adviseAnalysis, type Advice } from '../core/advice/judge';
import { measureAnalysis, planMeasurement, type MeasurePlan } from '../core/advice/measure';
import type { Measurements, Unmeasured } from '../core/advice/measured';
import { DEFAULT_ADVICE } from '../core/advice/rules';
import type { LoadedTf } from '../core/signal/backendChoice';
import { verdictJson } from '../core/advice/present';
import { libraryModelJson, libraryModelState } from '../core/advice/pretrained';
import { ModelAnalyzer } from '../core/model/analyze';
import { activationLabel } from '../core/model/activations';
import { count, describeModel, short } from '../core/model/describe';
import { mainParam } from '../core/model/layer';
import { showDim } from '../core/model/evaluate';
import type { Model, ModelAnalysis } from '../core/model/types';
import { parsePython, syntaxErrors, type Tree } from '../core/python/parse';
import type { CliIo } from './run';
import { readInput } from './usage';
import { ProjectScan } from './workspace';

export interface AnalyzeOptions {
  readonly files: readonly string[];
  readonly json: boolean;
  /** Read the files of each FILE's project that import it (off: `--no-workspace`). */
  readonly workspace?: boolean;
  /** Measure gains with the signal engine where it runs a model (off: `--analytic`). */
  readonly measure?: boolean;
}

interface FileWork {
  readonly file: string;
  readonly text: string;
  readonly tree: Tree;
  readonly analysis: ModelAnalysis;
  readonly external: readonly { readonly label: string }[];
  /** What measuring would run, built once: its graphs are the ones measured. */
  readonly plan: MeasurePlan;
}

/**
 * Runs the sub-command; returns the exit code (2 when a file cannot be read). TensorFlow.js is
 * loaded only when a model of the files can be measured (core/advice/measure.ts); the verdicts are
 * then the editor's, on the same measured gains.
 */
export function analyzeFiles(options: AnalyzeOptions, io: CliIo): number | Promise<number> {
  const analyzer = new ModelAnalyzer();
  const texts: string[] = [];
  for (const file of options.files) {
    const text = readInput(io, file);
    if (text === undefined) return 2;
    texts.push(text);
  }
  const scan = options.workspace === false ? undefined : new ProjectScan(io);
  const work: FileWork[] = options.files.map((file, i) => {
    const text = texts[i];
    const tree = parsePython(text);
    const external = scan?.sites(file, tree, text) ?? [];
    const analysis = analyzer.analyze(tree, text, { external, files: scan?.files(file), instances: true });
    return { file, text, tree, analysis, external, plan: planMeasurement(analysis, tree, text) };
  });
  if (options.measure === false || !io.signalTf || !work.some((w) => w.plan.graphs.length > 0)) return printAnalyses(options, io, work, new Map());
  return measureAll(io.signalTf, work, io).then((measured) => printAnalyses(options, io, work, measured));
}

type Measured = ReadonlyMap<FileWork, { readonly measurements: Measurements; readonly unmeasured: readonly Unmeasured[] }>;

async function measureAll(load: () => Promise<LoadedTf>, work: readonly FileWork[], io: CliIo): Promise<Measured> {
  let loaded: LoadedTf;
  try {
    loaded = await load();
  } catch (error) {
    io.stderr(`initlens: gains not measured (${error instanceof Error ? error.message : String(error)}): the verdicts use the analytic gains\n`);
    return new Map();
  }
  const out = new Map<FileWork, { measurements: Measurements; unmeasured: readonly Unmeasured[] }>();
  for (const w of work) if (w.plan.graphs.length > 0) out.set(w, await measureAnalysis(loaded.tf, loaded.backend, w.analysis, w.tree, w.text, w.plan));
  return out;
}

function printAnalyses(options: AnalyzeOptions, io: CliIo, work: readonly FileWork[], measured: Measured): number {
  const results: unknown[] = [];
  let human = '';
  for (const w of work) {
    const { file, text, tree, analysis } = w;
    const errors = syntaxErrors(tree, text);
    const m = measured.get(w);
    // Every layer's verdict, the one the editor shows (src/core/advice), on the same measured gains.
    const advice = adviseAnalysis(analysis, text, m ? { ...DEFAULT_ADVICE, measured: m.measurements } : DEFAULT_ADVICE);
    const described = analysis.models.map((model) => {
      const d = describeModel(model);
      return { ...d, layers: d.layers.map((l, k) => ({ ...l, verdict: verdictJson(advice.verdict(model.layers[k])) })) };
    });
    const library = analysis.libraryModels ?? [];
    const runs = m ? [...m.measurements.models.values()].map((r) => ({ model: r.model, seed: r.seed.toString(), inputSeed: r.inputSeed.toString(), inputShape: r.inputShape, backend: r.backend, exact: r.exact })) : [];
    results.push({ file, syntaxErrors: errors.length, notes: analysis.notes, models: described, libraryModels: library.map(libraryModelJson), measured: runs, unmeasured: m?.unmeasured ?? (options.measure === false ? [] : w.plan.unmeasured) });
    human += table(file, analysis.models, errors.length, analysis.notes, new Set(w.external.map((e) => e.label)), advice);
    for (const r of runs) human += `  ${r.model}: gains measured (torch.manual_seed(${r.seed}), input ${r.inputShape.join('×')}, ${r.backend}${r.exact ? '' : ', weights sampled'})\n`;
    // Pretrained and library-built models (transfer learning): their state, no verdict.
    for (const use of library) human += `  ${use.target ?? use.callee} (line ${use.line + 1}): ${libraryModelState(use)}\n`;
  }
  io.stdout(options.json ? `${JSON.stringify(options.files.length === 1 ? results[0] : results, null, 2)}\n` : human);
  return 0;
}

/** `external`: labels of the constructions in other files, named under the model they give numbers to. */
function table(file: string, models: readonly Model[], errors: number, notes: readonly string[], external: ReadonlySet<string>, advice: Advice): string {
  const lines = [`${file}${errors > 0 ? ` (${errors} syntax error${errors === 1 ? '' : 's'}: showing what could be read)` : ''}`];
  for (const note of notes) lines.push(`  ${note}`);
  if (models.length === 0 && notes.length === 0) lines.push('  no PyTorch or Keras models found');
  for (const model of models) {
    lines.push(`  ${model.name} (${model.kind}, line ${model.line + 1}): ${model.layers.length} ${model.layers.length === 1 ? 'layer' : 'layers'}, ${count(model.paramCount)} parameters`);
    const from = (model.contexts ?? []).filter((c) => external.has(c.label));
    if (from.length > 0) lines.push(`    built in ${from.map((c) => c.label).join('; ')}${from.length < (model.contexts?.length ?? 0) ? ' (and in this file)' : ''}`);
    const rows = model.layers.map((layer) => {
      const param = mainParam(layer);
      const rec = param?.recommendation;
      return [
        layer.name,
        layer.type,
        String(layer.line + 1),
        showDim(layer.fanIn),
        showDim(layer.fanOut),
        count(layer.paramCount),
        layer.activation ? activationLabel(layer.activation.activation) : '?',
        param ? `${param.current.label}${param.resolved ? ` (std ${short(param.resolved.std)})` : ''}` : '',
        rec ? `${rec.name}${param?.recommended ? ` (std ${short(param.recommended.std)})` : ''}` : '',
        advice.verdict(layer)?.level ?? '',
      ];
    });
    const header = ['layer', 'type', 'line', 'fan_in', 'fan_out', 'params', 'activation', 'current init', 'scheme table', 'verdict'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    for (const row of [header, ...rows]) lines.push(`    ${row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}`);
    for (const layer of model.layers) for (const p of layer.problems ?? []) lines.push(`    ${layer.name} (line ${layer.line + 1}): ${p.message}`);
    for (const layer of model.layers) {
      const v = advice.verdict(layer);
      if (v && v.level !== 'ok') lines.push(`    ${v.level === 'warning' ? '⚠ ' : ''}${layer.name} (line ${layer.line + 1}): ${v.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
