/**
 * `node out/bench/advice.js`: precision and recall of ⚠ over the advice
 * corpora (test/fixtures/advice), per layer, against the answer keys measured
 * in PyTorch (scripts/advice/keys.py), and the two targets of issue 14: with
 * the analytic gains alone (`initlens check`), and with the gains the signal
 * engine measures where it can run a model (the editor, `initlens analyze`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCorpusFile, measureCorpusFile, score, type CorpusFile, type CorpusKey } from '../src/core/advice/corpus';
import { loadSignalTf } from '../src/node/signalTf';
import { ADVICE_DISAGREEMENTS } from '../test/fixtures/advice/disagreements';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const healthy: CorpusKey = JSON.parse(read('test/fixtures/advice/healthy/keys.json'));
const broken: CorpusKey = JSON.parse(read('test/fixtures/advice/broken/keys.json'));
const sources: { corpus: 'healthy' | 'broken'; file: string; text: string }[] = [
  ...Object.keys(healthy.files).map((file) => ({ corpus: 'healthy' as const, file, text: read(file) })),
  ...Object.keys(broken.files).map((file) => ({ corpus: 'broken' as const, file, text: read(path.join('test/fixtures/advice/broken', file)) })),
];
const layers = Object.values(healthy.files).concat(Object.values(broken.files)).reduce((n, f) => n + Object.keys(f).length, 0);
console.log(`advice corpora: ${Object.keys(healthy.files).length} healthy files, ${Object.keys(broken.files).length} broken files, ${layers} keyed layers (torch ${healthy.provenance.torch}, ${healthy.provenance.date})`);

function print(label: string, files: readonly CorpusFile[]): void {
  const s = score(files, { healthy, broken }, ADVICE_DISAGREEMENTS);
  console.log(`\n${label}`);
  console.log(`⚠ per layer against the measured keys: precision ${s.precision.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falsePositives}), recall ${s.recall.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falseNegatives})`);
  const pretrained = Object.values(healthy.files).reduce((n, f) => n + Object.values(f).filter((l) => l.rule === 'pretrained').length, 0);
  console.log(`healthy layers with ⚠: ${s.healthyWarnings} (target 0); broken files without ⚠: ${s.brokenMissed} (target 0); documented disagreements: ${s.documented.length}`);
  console.log(`pretrained (loaded) layers keyed: ${pretrained}, of which InitLens advises none: ${s.pretrainedUnadvised}`);
  for (const m of s.mismatches) console.log(`  differs from the key: ${m}`);
  for (const m of s.unmatched) console.log(`  unmatched: ${m}`);
  for (const m of s.documented) console.log(`  documented disagreement: ${m}`);
}

async function main(): Promise<void> {
  print('analytic gains only (initlens check):', sources.map((s) => loadCorpusFile(s.corpus, s.file, s.text)));
  const loaded = await loadSignalTf({ candidates: ['wasm', 'cpu'] });
  const measured = [];
  for (const s of sources) measured.push(await measureCorpusFile(s.corpus, s.file, s.text, loaded.tf, loaded.backend));
  const models = measured.reduce((n, f) => n + (f.measured?.models.size ?? 0), 0);
  const judged = measured.reduce((n, f) => n + [...f.layers.values()].filter(({ layer }) => f.advice.verdict(layer)?.gain?.analytic === false).length, 0);
  print(`measured gains where the engine runs the model (the editor, initlens analyze; ${loaded.summary}): ${models} models measured, ${judged} layers judged on measured gains`, measured);
}

void main();
