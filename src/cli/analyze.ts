/**
 * `initlens analyze FILE... [--json]`: the models of each file, per layer its
 * type, fans, parameters, activation, the initialization in effect and the
 * recommended one with its numbers and code line. Classes built in other
 * files of the project get those constructions' arguments ({@link ProjectScan}).
 */
import { adviseAnalysis, type Advice } from '../core/advice/judge';
import { verdictJson } from '../core/advice/present';
import { libraryModelJson, libraryModelState } from '../core/advice/pretrained';
import { ModelAnalyzer } from '../core/model/analyze';
import { activationLabel } from '../core/model/activations';
import { count, describeModel, short } from '../core/model/describe';
import { mainParam } from '../core/model/layer';
import { showDim } from '../core/model/evaluate';
import type { Model } from '../core/model/types';
import { parsePython, syntaxErrors } from '../core/python/parse';
import type { CliIo } from './run';
import { readInput } from './usage';
import { ProjectScan } from './workspace';

export interface AnalyzeOptions {
  readonly files: readonly string[];
  readonly json: boolean;
  /** Read the files of each FILE's project that import it (off: `--no-workspace`). */
  readonly workspace?: boolean;
}

/** Runs the sub-command; returns the exit code (2 when a file cannot be read). */
export function analyzeFiles(options: AnalyzeOptions, io: CliIo): number {
  const analyzer = new ModelAnalyzer();
  const results: { file: string; syntaxErrors: number; notes: readonly string[]; models: unknown[]; libraryModels: unknown[] }[] = [];
  const texts: string[] = [];
  for (const file of options.files) {
    const text = readInput(io, file);
    if (text === undefined) return 2;
    texts.push(text);
  }
  let human = '';
  const scan = options.workspace === false ? undefined : new ProjectScan(io);
  options.files.forEach((file, i) => {
    const text = texts[i];
    const tree = parsePython(text);
    const external = scan?.sites(file, tree, text) ?? [];
    const analysis = analyzer.analyze(tree, text, { external, files: scan?.files(file) });
    const errors = syntaxErrors(tree, text);
    // Every layer's verdict, the one the editor shows (src/core/advice).
    const advice = adviseAnalysis(analysis, text);
    const described = analysis.models.map((m) => {
      const d = describeModel(m);
      return { ...d, layers: d.layers.map((l, k) => ({ ...l, verdict: verdictJson(advice.verdict(m.layers[k])) })) };
    });
    const library = analysis.libraryModels ?? [];
    results.push({ file, syntaxErrors: errors.length, notes: analysis.notes, models: described, libraryModels: library.map(libraryModelJson) });
    human += table(file, analysis.models, errors.length, analysis.notes, new Set(external.map((e) => e.label)), advice);
    // Pretrained and library-built models (transfer learning): their state, no verdict.
    for (const use of library) human += `  ${use.target ?? use.callee} (line ${use.line + 1}): ${libraryModelState(use)}\n`;
  });
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
