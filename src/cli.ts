#!/usr/bin/env node
/** Entry of the `initlens` binary (`dist/cli.js`): binds {@link runCli} to the process. */
import * as path from 'node:path';
import { runCli } from './cli/run';
import { nodeFiles } from './node/cliFiles';
import { projectOf } from './node/workspaceFiles';
import { nodeTree } from './node/checkTree';
import { enableRelaxedSimd } from './node/relaxedSimd';

declare const INITLENS_VERSION: string;

enableRelaxedSimd();

void Promise.resolve(
  runCli(
    process.argv.slice(2),
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      ...nodeFiles(),
      project: projectOf,
      tree: nodeTree(),
      checkWorker: path.join(__dirname, 'checkWorker.js'),
      // A computed path: esbuild leaves the require alone, so TensorFlow.js stays out of dist/cli.js.
      signalTf: () => (require(path.join(__dirname, 'signalTf.js')) as typeof import('./node/signalTf')).loadSignalTf(),
      ...(process.stderr.isTTY ? { progress: (text: string) => void process.stderr.write(text) } : {}),
    },
    INITLENS_VERSION,
  ),
).then((code) => {
  process.exitCode = code;
});
