/**
 * `npm test`: the three layers in order, then one summary.
 *   1. unit         plain Node, `src/core` and the CLI
 *   2. integration  the mocha suite inside a real VS Code (code-server)
 *   3. e2e          the packaged .vsix in code-server, driven by Chromium
 * `--skip-integration` / `--skip-e2e` skip a slow layer explicitly; the summary
 * says so. Exit code 0 only when every layer that ran passed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runIntegrationInCodeServer, type LayerResult } from './host/integration';
import { runNodeTests } from './host/nodeTests';
import { ROOT } from './host/paths';

const KNOWN_FLAGS = new Set(['--skip-integration', '--skip-e2e']);

interface Layer {
  readonly name: string;
  readonly run: () => Promise<LayerResult>;
}

function testFiles(dir: string): string[] {
  const full = path.join(ROOT, 'out', 'test', dir);
  return fs.readdirSync(full).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(full, f));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !KNOWN_FLAGS.has(a));
  if (unknown.length > 0) {
    console.error(`runAll: unknown option ${unknown.join(' ')} (known: ${[...KNOWN_FLAGS].join(', ')})`);
    return 2;
  }
  const layers: Layer[] = [
    { name: 'unit', run: () => runNodeTests(testFiles('unit')) },
    { name: 'integration', run: () => runIntegrationInCodeServer() },
    { name: 'e2e', run: () => runNodeTests(testFiles('e2e')) },
  ];
  const summary: string[] = [];
  let ok = true;
  for (const layer of layers) {
    const flag = `--skip-${layer.name}`;
    if (args.includes(flag)) {
      summary.push(`${layer.name.padEnd(12)} SKIPPED (by ${flag})`);
      continue;
    }
    console.log(`\n=== ${layer.name} ===`);
    const started = Date.now();
    try {
      const r = await layer.run();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const good = r.failed === 0 && r.passed > 0;
      ok &&= good;
      summary.push(`${layer.name.padEnd(12)} ${good ? 'PASS' : 'FAIL'}  ${r.passed} passed, ${r.failed} failed  (${r.detail}, ${seconds} s)`);
    } catch (error) {
      ok = false;
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      summary.push(`${layer.name.padEnd(12)} FAIL  did not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  console.log(`\n=== summary ===\n${summary.join('\n')}\n${ok ? 'ALL PASSED' : 'FAILED'}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
