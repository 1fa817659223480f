/**
 * `npm run test:electron`: the same integration suite in desktop VS Code,
 * downloaded by @vscode/test-electron (needs access to update.code.visualstudio.com;
 * offline machines use the code-server route of `npm test` instead).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT } from './paths';
import { RESULTS_ENV } from '../integration/results';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-electron-'));
  const workspace = path.join(dir, 'workspace');
  fs.cpSync(path.join(ROOT, 'examples'), workspace, { recursive: true });
  try {
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out', 'test', 'integration', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(dir, 'user-data')}`],
      extensionTestsEnv: { [RESULTS_ENV]: path.join(dir, 'results.json') },
    });
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as { passed: number; vscodeVersion: string };
    console.log(`integration (desktop VS Code ${results.vscodeVersion}): ${results.passed} passed`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`Integration tests in desktop VS Code failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
