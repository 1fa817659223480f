/**
 * `node out/bench/advice.js`: precision and recall of ⚠ over the advice
 * corpora (test/fixtures/advice), per layer, and the two targets of issue 14.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCorpusFile, score, type Expected } from '../src/core/advice/corpus';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const healthy: Expected = JSON.parse(read('test/fixtures/advice/healthy/expected.json'));
const broken: Expected = JSON.parse(read('test/fixtures/advice/broken/expected.json'));
const files = [
  ...Object.keys(healthy).map((f) => loadCorpusFile('healthy', f, read(f))),
  ...Object.keys(broken).map((f) => loadCorpusFile('broken', f, read(path.join('test/fixtures/advice/broken', f)))),
];
const s = score(files, { healthy, broken });
const layers = files.reduce((n, f) => n + f.layers.size, 0);
console.log(`advice corpora: ${Object.keys(healthy).length} healthy files, ${Object.keys(broken).length} broken files, ${layers} layers`);
console.log(`⚠ per layer: precision ${s.precision.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falsePositives}), recall ${s.recall.toFixed(3)} (${s.truePositives}/${s.truePositives + s.falseNegatives})`);
console.log(`healthy layers with ⚠: ${s.healthyWarnings} (target 0); broken files without ⚠: ${s.brokenMissed} (target 0)`);
for (const m of s.mismatches) console.log(`  differs from expected: ${m}`);
