/** `initlens sample`, in-process through runCli and as the built dist/cli.js. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/run';
import { ROOT } from '../host/paths';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readFile: () => '' }, '9.9.9');
  return { code, stdout, stderr };
}

interface SampleJson {
  scheme: string;
  params: { std: number; fans: { fanIn: number; fanOut: number } | null; gain: number | null; framework: string };
  shape: number[];
  seed: number | string;
  backend: { name: string; reason: string };
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  bins: { edges: number[]; counts: number[]; underflow: number; overflow: number };
  theory: { kind: string; std: number; density: number[]; expected: number[] };
  values?: number[];
}

describe('initlens sample', () => {
  it('--json: the documented fields, the exact resolved std, consistent bins and values', async () => {
    const r = await run(['sample', '--scheme', 'kaiming_normal_', '--shape', '256,784', '--nonlinearity', 'relu', '--seed', '0', '--bins', '50', '--json', '--values', '5']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as SampleJson;
    assert.equal(json.scheme, 'kaiming_normal');
    assert.deepEqual(json.shape, [256, 784]);
    assert.equal(json.seed, 0);
    assert.equal(json.params.framework, 'torch');
    assert.deepEqual(json.params.fans, { fanIn: 784, fanOut: 256 });
    assert.equal(json.params.std, 0.05050762722761054); // math.sqrt(2)/math.sqrt(784)
    assert.equal(json.backend.name, 'cpu');
    assert.equal(json.count, 256 * 784);
    assert.equal(json.bins.edges.length, 51);
    assert.equal(json.bins.counts.reduce((a, b) => a + b, 0) + json.bins.underflow + json.bins.overflow, json.count);
    assert.equal(json.theory.kind, 'normal');
    assert.equal(json.theory.density.length, 50);
    assert.equal(json.values?.length, 5);
    assert.ok(Math.abs(json.std - json.params.std) < (5 * json.params.std) / Math.sqrt(2 * json.count));
    // Same seed, same output; another seed, another histogram.
    assert.equal((await run(['sample', '--scheme', 'kaiming_normal_', '--shape', '256,784', '--nonlinearity', 'relu', '--seed', '0', '--bins', '50', '--json', '--values', '5'])).stdout.replace(/"elapsedMs".*\n/, ''), r.stdout.replace(/"elapsedMs".*\n/, ''));
    const other = JSON.parse((await run(['sample', '--scheme', 'kaiming_normal', '--shape', '256,784', '--seed', '18446744073709551615', '--json'])).stdout) as SampleJson;
    assert.equal(other.seed, '18446744073709551615');
    assert.notDeepEqual(other.bins.counts, json.bins.counts);
  });

  it('Keras names use Keras fans; negative numbers are accepted as values', async () => {
    const he = JSON.parse((await run(['sample', '--scheme', 'he_normal', '--shape', '3,3,64,128', '--json'])).stdout) as SampleJson;
    assert.equal(he.params.framework, 'keras');
    assert.deepEqual(he.params.fans, { fanIn: 576, fanOut: 1152 });
    assert.equal(he.theory.kind, 'truncated_normal');
    const u = JSON.parse((await run(['sample', '--scheme', 'uniform', '--shape', '100,100', '--low', '-0.5', '--high', '0.25', '--json'])).stdout) as SampleJson;
    assert.ok(u.min >= -0.5 && u.max <= 0.25);
    assert.deepEqual([u.bins.edges[0], u.bins.edges.at(-1)], [-0.5, 0.25]);
  });

  it('human output: header, theory, stats and a bar chart', async () => {
    const r = await run(['sample', '--scheme', 'xavier_uniform', '--shape', '30,20', '--bins', '10', '--values', '2']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^xavier_uniform on 30×20 \(torch, fan_in=20, fan_out=30, gain=1\), seed 0\ntheory: U\(-0\.346410, 0\.346410\)\nbackend: cpu\ncount 600 /);
    assert.equal(r.stdout.split('\n').filter((l) => l.includes(' … ')).length, 10);
    assert.match(r.stdout, /first 2 values:\n-?0\.\d+\n-?0\.\d+\n$/);
  });

  it('--verbose names the backend and why on stderr', async () => {
    const r = await run(['sample', '--scheme', 'normal', '--shape', '10', '--backend', 'gpu', '--verbose']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^initlens: backend cpu: "gpu" requested: no TensorFlow\.js backend could be loaded/);
    assert.match(r.stderr, /tfjs-node-gpu unavailable: not installed/);
  });

  it('every bad argument: one line on stderr, exit 2', async () => {
    const bad: [string[], RegExp][] = [
      [['--scheme', 'foo', '--shape', '2,2'], /unknown scheme 'foo'/],
      [['--shape', '2,2'], /--scheme is required/],
      [['--scheme', 'normal'], /--shape is required/],
      [['--scheme', 'normal', '--shape', '2,0'], /positive integers, got '0'/],
      [['--scheme', 'normal', '--shape', '2,-3'], /positive integers, got '-3'/],
      [['--scheme', 'normal', '--shape', '2.5,3'], /positive integers, got '2\.5'/],
      [['--scheme', 'kaiming_normal', '--shape', '16'], /fewer than 2 dimensions/],
      [['--scheme', 'normal', '--shape', '2,2', '--std', '-1'], /--std must be at least 0 and at most 1000000, got -1/],
      [['--scheme', 'uniform', '--shape', '2,2', '--low', '1', '--high', '1'], /--low must be less than --high/],
      [['--scheme', 'normal', '--shape', '2,2', '--bins', '0'], /--bins must be an integer from 1 to 10000, got 0/],
      [['--scheme', 'normal', '--shape', '2,2', '--bins', '10001'], /--bins must be an integer from 1 to 10000, got 10001/],
      [['--scheme', 'normal', '--shape', '2,2', '--seed', '18446744073709551616'], /--seed must be an integer from 0 to 18446744073709551615/],
      [['--scheme', 'normal', '--shape', '2,2', '--seed', '-1'], /--seed must be an integer/],
      [['--scheme', 'normal', '--shape', '2,2', '--mean', 'abc'], /--mean expects a decimal number, got 'abc'/],
      [['--scheme', 'normal', '--shape', '2,2', '--std', '1e999'], /--std must be at least 0 and at most 1000000, got 1e999/],
      [['--scheme', 'kaiming_normal', '--shape', '2,2', '--mode', 'fan_avg'], /--mode must be one of fan_in, fan_out/],
      [['--scheme', 'normal', '--shape', '2,2', '--backend', 'tpu'], /--backend must be one of auto, cpu, gpu/],
      [['--scheme', 'orthogonal', '--shape', '4096,4096'], /orthogonal_ on 4096×4096 is a dense QR: 68,719,476,736 multiply-adds is above the limit of 268,435,456 multiply-adds/],
      [['--scheme', 'normal', '--shape', '2,2', '--frob'], /unknown option '--frob'/],
    ];
    for (const [args, message] of bad) {
      const r = await run(['sample', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^initlens: [^\n]+\n$/, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});

describe('dist/cli.js sample (the built binary)', () => {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  it('samples through the worker pool and exits', () => {
    const r = spawnSync(process.execPath, [cli, 'sample', '--scheme', 'normal', '--shape', '2048,4096', '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as SampleJson & { backend: { workers: number } };
    assert.equal(json.count, 2048 * 4096);
    assert.ok(json.backend.workers >= 1, 'ran on the pool (8 chunks)');
    assert.ok(Math.abs(json.mean) < 5 / Math.sqrt(json.count));
  });

  it('bad usage: exit 2, one line, no stack trace', () => {
    const r = spawnSync(process.execPath, [cli, 'sample', '--scheme', 'normal', '--shape', '0,3'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "initlens: --shape dimensions must be positive integers, got '0' in '0,3' (see 'initlens --help')\n");
  });
});
