#!/usr/bin/env node
/** Entry of the `initlens` binary (`dist/cli.js`): binds {@link runCli} to the process. */
import { writeFileSync } from 'node:fs';
import { runCli } from './cli/run';
import { readBounded } from './node/readBounded';
import { enableRelaxedSimd } from './node/relaxedSimd';

declare const INITLENS_VERSION: string;

enableRelaxedSimd();

void Promise.resolve(
  runCli(
    process.argv.slice(2),
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      readFile: readBounded,
      writeFile: (path, data) => writeFileSync(path, data),
    },
    INITLENS_VERSION,
  ),
).then((code) => {
  process.exitCode = code;
});
