/**
 * InitLens against answer keys made by real PyTorch (issue 11): the four figures per corpus file and in total
 * (see bench/realworldScore.ts for what each counts).
 *   npm run score [-- --misses]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { scoreCorpus, type Row } from './realworldScore';

const CORPUS = path.join(__dirname, '..', '..', 'test', 'fixtures', 'realworld');

function main(): void {
  const showMisses = process.argv.includes('--misses');
  // With --drivers, each file is analyzed beside the script that builds its model as its key did (drivers/).
  const withDrivers = process.argv.includes('--drivers');
  const { rows, total, unscored, misses } = scoreCorpus(CORPUS, withDrivers);
  if (withDrivers) console.log('Each file beside its construction script (test/fixtures/realworld/drivers), as a workspace.');
  const width = Math.max(...rows.map((r) => r.file.length), 5);
  const cells = (r: Row) => [r.sites, r.fans, r.activation, r.std].map((t) => t.toString().padStart(16)).join('') + `${`${r.multiNumbered}/${r.multi}`.padStart(10)}`;
  console.log(`Real-world corpus against PyTorch's answer keys (${os.cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)})`);
  console.log(`${'file'.padEnd(width)}${'sites'.padStart(16)}${'fans'.padStart(16)}${'activation'.padStart(16)}${'init std'.padStart(16)}${'multi'.padStart(10)}`);
  for (const r of rows) console.log(`${r.file.padEnd(width)}${cells(r)}`);
  console.log(`${'total'.padEnd(width)}${cells(total)}`);
  console.log('multi: sites built with different fans in different contexts where InitLens shows one number / all such sites (not in "fans").');
  console.log(`Not scored (${unscored.length}):`);
  for (const u of unscored) console.log(`  ${u}`);
  if (showMisses) {
    console.log(`Misses (${misses.length}):`);
    for (const m of misses) console.log(`  ${m.file}:${m.line} ${m.type}: ${m.what}`);
  }
}

main();
