/**
 * `node out/bench/advice.js`: precision and recall of ⚠ over the advice
 * corpora (test/fixtures/advice), per layer, against the answer keys measured
 * in PyTorch (scripts/advice/keys.py), and the two targets of issue 14.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCorpusFile, score, type CorpusKey } from '../src/core/advice/corpus';
import { ADVICE_DISAGREEMENTS } from '../test/fixtures/advice/disagreements';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const healthy: CorpusKey = JSON.parse(read('test/fixtures/advice/healthy/keys.json'));
const broken: CorpusKey = JSON.parse(read('test/fixtures/advice/broken/keys.json'));
const files = [
  ...Object.keys(healthy.files).map((f) => loadCorpusFile('healthy', f, read(f))),
  ...Object.keys(broken.files).map((f) => loadCorpusFile('broken', f, read(path.join('test/fixtures/advice/broken', f)))),
];
const s = score(files, { healthy, broken }, ADVICE_DISAGREEMENTS);
const layers = Object.values(healthy.files).concat(Object.values(broken.files)).reduce((n, f) => n + Object.keys(f).length, 0);
console.log(`advice corpora: ${Object.keys(healthy.files).length} healthy files, ${Object.keys(broken.files).length} broken files, ${layers} keyed layers (torch ${healthy.provenance.torch}, ${healthy.provenance.date})`);
console.log(`⚠ per layer against the measured keys: precision ${s.precision.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falsePositives}), recall ${s.recall.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falseNegatives})`);
const pretrained = Object.values(healthy.files).reduce((n, f) => n + Object.values(f).filter((l) => l.rule === 'pretrained').length, 0);
console.log(`healthy layers with ⚠: ${s.healthyWarnings} (target 0); broken files without ⚠: ${s.brokenMissed} (target 0); documented disagreements: ${s.documented.length}`);
console.log(`pretrained (loaded) layers keyed: ${pretrained}, of which InitLens advises none: ${s.pretrainedUnadvised}`);
for (const m of s.mismatches) console.log(`  differs from the key: ${m}`);
for (const m of s.unmatched) console.log(`  unmatched: ${m}`);
for (const m of s.documented) console.log(`  documented disagreement: ${m}`);
