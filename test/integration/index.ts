/**
 * The standard `run()` entry of an extension test suite. VS Code loads this
 * file in the extension host (desktop via @vscode/test-electron, or code-server)
 * and waits for the promise. Each `*.test.js` beside it is a mocha file using
 * the real `vscode` API. Results also go to the file named by
 * `INITLENS_TEST_RESULTS`, because a code-server host has no exit code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { RESULTS_ENV, type IntegrationResults } from './results';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false });
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const tests: { title: string; state: 'passed' | 'failed'; error?: string }[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const results: IntegrationResults = {
        vscodeVersion: vscode.version,
        appHost: vscode.env.appHost,
        passed: tests.filter((t) => t.state === 'passed').length,
        failed: tests.filter((t) => t.state === 'failed').length,
        tests,
      };
      const out = process.env[RESULTS_ENV];
      if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2));
      if (failures > 0) reject(new Error(`${failures} integration tests failed`));
      else resolve();
    });
    runner.on('pass', (test) => tests.push({ title: test.fullTitle(), state: 'passed' }));
    runner.on('fail', (test, error: Error) =>
      tests.push({ title: test.fullTitle(), state: 'failed', error: (error.stack ?? error.message).split('\n').slice(0, 6).join('\n') }),
    );
  });
}
