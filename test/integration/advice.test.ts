/**
 * Issue 14's agreement check in a real VS Code: on healthy and broken files of
 * the advice corpora (test/fixtures/advice), every layer's lens, hover and
 * diagnostic show the same verdict, at both levels of `initlens.advice.level`,
 * and its ⚠ is the one the answer key measured in PyTorch has (⚠ exactly on
 * the key's warnings: none on a healthy file). The verdicts come from the pure core
 * (src/core/advice/judge.ts); what is checked here is what the editor shows.
 * The editor measures the gains of the models the signal engine can run in
 * the background (src/analysis/gainMeasurements.ts): the expected verdicts are
 * judged on the same measurements, taken here by the same bundle
 * (dist/gainMeasurer.js) in the same process, and the check waits until the
 * editor's diagnostics carry them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCorpusFile, type CorpusFile, type CorpusKey } from '../../src/core/advice/corpus';
import { measurements, type Measurements, type ModelMeasurement } from '../../src/core/advice/measured';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { findTorchSeed } from '../../src/core/torch/exact';
import type { MeasureModel } from '../../src/analysis/gainMeasurements';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { displayed, lensOf } from '../../src/core/advice/present';
import type { AdviceLevel } from '../../src/core/advice/rules';
import { RULE_CODES } from '../../src/core/diagnostics/codes';
import { adviceRuleId, checkDocument } from '../../src/core/diagnostics/rules';
import { mainParam } from '../../src/core/model/layer';
import { ROOT } from '../host/paths';
import { hoverText, waitFor } from './helpers';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'advice');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const expected = {
  healthy: JSON.parse(read('test/fixtures/advice/healthy/keys.json')) as CorpusKey,
  broken: JSON.parse(read('test/fixtures/advice/broken/keys.json')) as CorpusKey,
};

/** Two healthy files (a BatchNorm ResNet with the zero-γ notes, the MNIST CNN with scheme notes) and three broken ones. */
const FILES: readonly { corpus: 'healthy' | 'broken'; file: string; path: string }[] = [
  { corpus: 'healthy', file: 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py', path: 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py' },
  { corpus: 'healthy', file: 'test/fixtures/realworld/pytorch/examples/mnist/main.py', path: 'test/fixtures/realworld/pytorch/examples/mnist/main.py' },
  { corpus: 'broken', file: 'constant.py', path: path.relative(ROOT, path.join(FIXTURES, 'broken', 'constant.py')) },
  { corpus: 'broken', file: 'small_normal_deep.py', path: path.relative(ROOT, path.join(FIXTURES, 'broken', 'small_normal_deep.py')) },
  { corpus: 'broken', file: 'residual_no_norm.py', path: path.relative(ROOT, path.join(FIXTURES, 'broken', 'residual_no_norm.py')) },
];

const ADVICE_CODES = new Set([RULE_CODES.symmetricInit.code, RULE_CODES.signalGain.code, RULE_CODES.initNote.code]);

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function adviceDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'InitLens' && ADVICE_CODES.has(codeOf(d)));
}

/** What the editor shows for one verdict: the lens icon, the hover icon, the diagnostic severity. */
type Shown = 'warning' | 'note' | 'ok' | 'none';

const SEVERITY: Record<Shown, vscode.DiagnosticSeverity | undefined> = {
  warning: vscode.DiagnosticSeverity.Warning,
  note: vscode.DiagnosticSeverity.Information,
  ok: undefined,
  none: undefined,
};

const LENS_ICON: Record<Shown, string | undefined> = { warning: 'warning', note: 'info', ok: 'check', none: undefined };

let measurer: Promise<MeasureModel> | undefined;

/** The measurements the editor takes of a file's models: the same measurer bundle, in this process. */
async function measuredOf(text: string): Promise<Measurements> {
  // One measurer for the suite, as the editor has one (each would start TensorFlow.js's backend again).
  measurer ??= (require(path.join(ROOT, 'dist', 'gainMeasurer.js')) as typeof import('../../src/node/gainMeasurer')).createMeasurer();
  const measure = await measurer;
  const f = loadCorpusFile('healthy', '', text);
  const tree = parsePython(text);
  const seeding = analyzeSeeding(tree, text);
  const seed = (m: Parameters<typeof findTorchSeed>[0]) => {
    const found = findTorchSeed(m, text, seeding);
    return 'seed' in found ? found.seed : 0n;
  };
  const done: ModelMeasurement[] = [];
  for (const model of f.analysis.models) {
    if (model.framework !== 'torch') continue;
    const r = await measure(f.analysis, model, tree, text, seed);
    if (r.measurement) done.push(r.measurement);
  }
  return measurements(done);
}

async function check(f: CorpusFile, document: vscode.TextDocument, level: AdviceLevel, measured?: Measurements): Promise<void> {
  const options = { level, disabled: new Set<never>(), ...(measured ? { measured } : {}) };
  const advice = adviseAnalysis(f.analysis, f.text, options);
  const layers = [...f.layers.entries()].map(([key, { model, layer }]) => ({ key, model, layer, v: advice.verdict(layer) }));
  const shownOf = (v: (typeof layers)[number]['v']): Shown => displayed(v, level) ?? 'none';
  // ⚠ exactly where the key measured in PyTorch (scripts/advice/keys.py) has a warning.
  const exp = expected[f.corpus].files[f.file];
  for (const { key, v } of layers) {
    if (!v) continue;
    assert.equal(v.level === 'warning', exp[key]?.level === 'warning', `${f.file} ${key}: the measured key's verdict`);
  }
  // Diagnostics: wait until the editor's advice diagnostics are this level's (the setting reaches them debounced).
  // The advice findings the core makes of the same verdicts (one per call and cure): what the editor must show.
  const tree = parsePython(f.text);
  const findings = checkDocument({ text: f.text, tree, seeding: analyzeSeeding(tree, f.text), models: f.analysis }, { seed: 0, deterministic: true, warnOnly: false, advice: options });
  const wantedMessages = findings.filter((d) => d.rule === 'symmetricInit' || d.rule === 'signalGain' || d.rule === 'initNote').map((d) => d.message).sort();
  const wantedCount = wantedMessages.length;
  let seen: vscode.Diagnostic[] = [];
  await waitFor(
    () => {
      seen = adviceDiagnostics(document.uri);
      // The messages too: the measured gains reach the editor after the analytic ones.
      return JSON.stringify(seen.map((d) => d.message).sort()) === JSON.stringify(wantedMessages);
    },
    `${wantedCount} advice diagnostics in ${f.file} at ${level}`,
    20_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; seen: ${JSON.stringify(seen.map((d) => `${codeOf(d)} ${d.range.start.line}: ${d.message}`))}`);
  });
  // The lenses too may still show the analytic gains: wait until each layer's expected title is there.
  let lenses: vscode.CodeLens[] = [];
  const expectedTitles = layers.filter((l) => l.v).map(({ layer, v }) => lensOf(layer, v, level)?.title);
  await waitFor(
    async () => {
      lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
      const titles = new Set(lenses.map((l) => l.command?.title));
      return expectedTitles.every((t) => t !== undefined && titles.has(t)) || undefined;
    },
    `the lenses of ${f.file} at ${level}`,
    20_000,
  ).catch(() => undefined);
  const titlesAt = (line: number) => lenses.filter((l) => l.range.start.line === line && l.command && l.command.title !== 'Apply' && l.command.title !== 'Preview' && !l.command.title.startsWith('InitLens')).map((l) => l.command!.title);
  const appliesAt = (line: number) => lenses.filter((l) => l.range.start.line === line && l.command?.title === 'Apply').length;
  const perLine = new Map<number, number>();
  for (const { layer } of layers) perLine.set(layer.line, (perLine.get(layer.line) ?? 0) + 1);
  for (const { key, model, layer, v } of layers) {
    if (!v) continue; // normalizers: no weight to judge
    const what = `${f.file} ${key} at ${level}`;
    const shown = shownOf(v);
    const lens = lensOf(layer, v, level);
    // The lens: its icon is the verdict's, on the layer's line (several layers one call builds share it).
    assert.ok(lens && titlesAt(layer.line).includes(lens.title), `${what}: lens ${JSON.stringify(lens?.title)} among ${JSON.stringify(titlesAt(layer.line))}`);
    assert.equal(/^\$\((warning|info|check)\) /.exec(lens.title)?.[1], LENS_ICON[shown], `${what}: lens icon`);
    if (perLine.get(layer.line) === 1) assert.equal(appliesAt(layer.line), lens?.apply ? 1 : 0, `${what}: Apply`);
    // The hover of the constructor call (only where one layer is on the line: else it names the first).
    if (perLine.get(layer.line) === 1) {
      // Inside the callee, `nn.Li|near(`.
      const at = document.positionAt(layer.span.from + 4);
      const hover = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at));
      assert.ok(hover.includes(`in ${model.name}`), `${what}: the hover names the layer's model: ${hover.slice(0, 200)}`);
      assert.equal(hover.includes('$(warning)'), shown === 'warning', `${what}: hover ⚠`);
      assert.equal(hover.includes('$(info)'), shown === 'note', `${what}: hover note`);
    }
    // The diagnostic at the init call (or initializer, or constructor), with the verdict's message and severity.
    const param = mainParam(layer);
    const span = param?.current.source === 'explicit' && param.current.at ? param.current.at : (layer.kernelInitializer ?? layer.span);
    const range = new vscode.Range(document.positionAt(span.from), document.positionAt(span.to));
    // Layers one call builds share one diagnostic (per cure), in its first layer's words, naming `net.0 … net.14 (8 layers)`.
    const diagnostic = seen.find((d) => d.range.isEqual(range) && codeOf(d) === RULE_CODES[adviceRuleId(v)].code && (d.message.endsWith(`: ${v.message}`) || / \(\d+ layers\): /.test(d.message)));
    assert.equal(diagnostic?.severity, SEVERITY[shown], `${what}: diagnostic ${JSON.stringify(diagnostic?.message)}`);
  }
  if (f.corpus === 'healthy') assert.equal(seen.filter((d) => d.severity === vscode.DiagnosticSeverity.Warning).length, 0, `${f.file}: no ⚠ on a healthy file`);
  else assert.ok(seen.some((d) => d.severity === vscode.DiagnosticSeverity.Warning), `${f.file}: a ⚠ on a broken file`);
}

describe('advice: lens, hover and diagnostic agree on every layer of the corpora', () => {
  const config = () => vscode.workspace.getConfiguration('initlens');

  after(async () => {
    await config().update('advice.level', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  for (const entry of FILES) {
    it(`${entry.corpus} ${path.basename(entry.file)}: at the suggestions level, then at problems (the default)`, async () => {
      const text = read(entry.path);
      const measured = await measuredOf(text);
      const f = loadCorpusFile(entry.corpus, entry.file, text, () => measured);
      assert.ok(f.layers.size > 0, entry.file);
      const document = await vscode.workspace.openTextDocument({ language: 'python', content: text });
      await vscode.window.showTextDocument(document);
      try {
        await config().update('advice.level', 'suggestions', vscode.ConfigurationTarget.Global);
        await check(f, document, 'suggestions', measured);
        await config().update('advice.level', undefined, vscode.ConfigurationTarget.Global);
        await check(f, document, 'problems', measured);
      } finally {
        await config().update('advice.level', undefined, vscode.ConfigurationTarget.Global);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      }
    });
  }

  it('the measured gains drive the verdicts: small_normal_deep.py says "measured" in lens, hover and diagnostic; with initlens.advice.measure off, "analytic"', async () => {
    const entry = FILES.find((e) => e.file === 'small_normal_deep.py')!;
    const text = read(entry.path);
    const measured = await measuredOf(text);
    assert.equal(measured.models.size, 1);
    const document = await vscode.workspace.openTextDocument({ language: 'python', content: text });
    await vscode.window.showTextDocument(document);
    try {
      const warnings = () => adviceDiagnostics(document.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Warning);
      // One ⚠ for the eight hidden layers the modules() loop initializes (one call, one cure).
      await waitFor(() => (warnings().length === 1 && /^net\.0 … net\.14 \(8 layers\): .*\(measured: torch\.manual_seed\(0\), input 8×784\)/.test(warnings()[0].message)) || undefined, 'the measured ⚠', 20_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(adviceDiagnostics(document.uri).map((d) => `${d.severity} ${d.message}`))}`);
      });
      await config().update('advice.measure', false, vscode.ConfigurationTarget.Global);
      await waitFor(() => (warnings().length === 1 && /\(analytic\)/.test(warnings()[0].message) && !/measured:/.test(warnings()[0].message)) || undefined, 'the analytic ⚠', 20_000);
      await check(loadCorpusFile(entry.corpus, entry.file, text), document, 'problems');
    } finally {
      await config().update('advice.measure', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
