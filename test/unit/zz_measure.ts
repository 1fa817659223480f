import * as fs from 'node:fs';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { exactSection } from '../../src/core/torch/exact';
const dir = '/work/shared/reliability/';
const which = process.argv[2];
const file = process.argv[3];
const text = file.startsWith('/') || file.includes('.py') ? fs.readFileSync(file.startsWith('/') ? file : dir + file, 'utf8') : file;
const t0 = performance.now();
const tree = parsePython(text);
const a = new ModelAnalyzer().analyze(tree, text);
const t1 = performance.now();
console.log('analyze ms', (t1 - t0).toFixed(0), a.models.map((m) => `${m.name}:${m.layers.map((l) => `${l.name}=${JSON.stringify(l.paramCount)}/${l.params.length}`).join(',')}`).join(' '), a.notes);
if (which === 'hover') {
  const m = a.models[0];
  const layer = m.layers[Number(process.argv[4] ?? 0)];
  const s = exactSection(m, layer, text, analyzeSeeding(tree, text));
  console.log('hover ms', (performance.now() - t1).toFixed(0), s?.status, s?.params.map((p) => p.name + ':' + p.values.slice(0, 3).join(',')));
}
