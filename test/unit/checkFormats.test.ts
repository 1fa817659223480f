/**
 * `initlens check --format text|json|sarif|github`: SARIF validated against
 * the published SARIF 2.1.0 schema (vendored in test/fixtures/sarif, pinned by
 * its sha256) with ajv; GitHub annotations escaped as actions/toolkit's
 * `escapeData`/`escapeProperty` do (the expected strings are written out by hand).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { formatReport, type CheckReport } from '../../src/cli/checkFormat';
import { runCli } from '../../src/cli/run';
import type { Problem } from '../../src/core/diagnostics/check';
import { nodeFiles } from '../../src/node/cliFiles';
import { nodeTree } from '../../src/node/checkTree';
import { ROOT } from '../host/paths';

const SCHEMA = path.join(ROOT, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json');

function validator() {
  // The schema's `language` pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) is not valid with
  // the `u` flag; without it, as JSON Schema draft-07 (ECMA 262) regexes read, it is.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const compiled = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  // Not ajv's type guard, which would narrow the parsed logs to `unknown`.
  return Object.assign((data: unknown): boolean => compiled(data), { get errors() { return compiled.errors; } });
}

const TRAIN = 'import torch\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';

let dir = '';
function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...nodeFiles(), tree: nodeTree() }, '1.2.3') as number;
  return { code, stdout, stderr };
}

const problem = (over: Partial<Problem> = {}): Problem => ({
  rule: 'cudaManualSeed',
  code: 'IL103',
  name: 'cuda-manual-seed',
  severity: 'warning',
  message: 'm',
  line: 3,
  column: 1,
  endLine: 3,
  endColumn: 23,
  ...over,
});

function render(report: Partial<CheckReport>, format: 'github' | 'sarif' | 'json' | 'text') {
  let stdout = '';
  let stderr = '';
  formatReport({ files: 1, checked: 1, problems: [], issues: [], seconds: 0.5, root: dir, version: '1.2.3', ...report }, format, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { stdout, stderr };
}

describe('check output formats', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-formats-'));
    fs.writeFileSync(path.join(dir, 'train.py'), TRAIN);
    fs.writeFileSync(path.join(dir, 'cuda gpu.py'), CUDA);
    fs.writeFileSync(path.join(dir, 'bad.py'), 'def (\n');
    fs.writeFileSync(path.join(dir, 'nb.ipynb'), JSON.stringify({ cells: [{ cell_type: 'markdown', source: 'x' }, { cell_type: 'code', source: CUDA }] }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the vendored schema is the pinned file', () => {
    assert.equal(createHash('sha256').update(fs.readFileSync(SCHEMA)).digest('hex'), '6352a05f9d03f181b8d9c71a46bdacc4fcff9d8ade5364858b425ba0c0994ed7');
  });

  it('sarif: valid SARIF 2.1.0 with rules, results, regions and the unchecked files', () => {
    const r = run(['check', '--format', 'sarif', dir]);
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout);
    const validate = validator();
    assert.ok(validate(log), JSON.stringify(validate.errors));
    const run0 = log.runs[0];
    assert.deepEqual(run0.tool.driver.rules.map((x: { id: string }) => x.id), ['IL001', 'IL002', 'IL101', 'IL102', 'IL103', 'IL104', 'IL105', 'IL106', 'IL201', 'IL202']);
    assert.equal(run0.tool.driver.version, '1.2.3');
    const byRule = (id: string) => run0.results.filter((x: { ruleId: string }) => x.ruleId === id);
    // The cuda file (a path outside the working directory: a file: URI, space encoded) at 3:1–3:23.
    const cuda = byRule('IL103').find((x: { locations: { physicalLocation: { region?: unknown } }[] }) => x.locations[0].physicalLocation.region);
    assert.equal(cuda.locations[0].physicalLocation.artifactLocation.uri, `file://${dir.split(path.sep).map(encodeURIComponent).join('/')}/cuda%20gpu.py`);
    assert.deepEqual(cuda.locations[0].physicalLocation.region, { startLine: 3, startColumn: 1, endLine: 3, endColumn: 23 });
    assert.equal(run0.tool.driver.rules[cuda.ruleIndex].id, 'IL103');
    assert.equal(cuda.level, 'warning');
    // The notebook's: no region in the JSON file, the cell in the message and properties.
    const nb = byRule('IL103').find((x: { properties?: unknown }) => x.properties);
    assert.deepEqual(nb.properties, { cell: 2, line: 3, column: 1 });
    assert.match(nb.message.text, /^cell 2, line 3: torch\.cuda\.manual_seed/);
    assert.equal(byRule('IL101')[0].level, 'note');
    assert.equal(run0.invocations[0].executionSuccessful, false);
    assert.equal(run0.invocations[0].toolExecutionNotifications.length, 1);
    assert.deepEqual(run0.invocations[0].toolExecutionNotifications[0].locations[0].physicalLocation.region, { startLine: 1, startColumn: 5 });
  });

  it('sarif: relative paths use %SRCROOT%; an empty run is valid too', () => {
    const log = JSON.parse(render({ problems: [{ path: 'sub dir/a.py', problem: problem() }] }, 'sarif').stdout);
    assert.deepEqual(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation, { uri: 'sub%20dir/a.py', uriBaseId: '%SRCROOT%' });
    const validate = validator();
    assert.ok(validate(log), JSON.stringify(validate.errors));
    const empty = JSON.parse(render({}, 'sarif').stdout);
    assert.ok(validate(empty), JSON.stringify(validate.errors));
    assert.deepEqual(empty.runs[0].results, []);
    assert.equal(empty.runs[0].invocations[0].executionSuccessful, true);
    // The validator does reject what is not SARIF: a level outside the enum, a run without its tool.
    const wrong = structuredClone(log);
    wrong.runs[0].results[0].level = 'information';
    assert.equal(validate(wrong), false);
    assert.equal(validate({ version: '2.1.0', runs: [{ results: [] }] }), false);
  });

  it('github: workflow commands with data and property escaping', () => {
    const out = render(
      {
        problems: [
          { path: 'a,b:c%.py', problem: problem({ message: '50% of units\nline two\r' }) },
          { path: './train.py', problem: problem({ rule: 'seedMissing', code: 'IL101', name: 'seed-missing', severity: 'information', message: 'x: y, z', line: 5, column: 1, endLine: 5, endColumn: 16 }) },
          { path: 'nb.ipynb', problem: problem({ cell: 2, severity: 'error' }) },
        ],
        issues: [{ path: 'bin.py', message: 'binary file' }],
      },
      'github',
    ).stdout;
    assert.equal(
      out,
      [
        '::warning file=a%2Cb%3Ac%25.py,line=3,col=1,endLine=3,endColumn=23,title=IL103 cuda-manual-seed::50%25 of units%0Aline two%0D',
        '::notice file=train.py,line=5,col=1,endLine=5,endColumn=16,title=IL101 seed-missing::x: y, z',
        '::error file=nb.ipynb,title=IL103 cuda-manual-seed::cell 2, line 3: m',
        '::error file=bin.py,title=InitLens%3A not checked::binary file',
        '',
      ].join('\n'),
    );
  });

  it('json: every problem with its position, code, name, severity and fix; text: path:line:col: CODE message', () => {
    const r = run(['check', '--format', 'json', path.join(dir, 'cuda gpu.py')]);
    assert.deepEqual(JSON.parse(r.stdout), {
      files: 1,
      checked: 1,
      problems: [
        {
          path: path.join(dir, 'cuda gpu.py'),
          line: 3,
          column: 1,
          endLine: 3,
          endColumn: 23,
          code: 'IL103',
          name: 'cuda-manual-seed',
          severity: 'warning',
          message: 'torch.cuda.manual_seed seeds only the current GPU; use torch.cuda.manual_seed_all (or torch.manual_seed) to seed every device.',
          fix: 'Use manual_seed_all',
        },
      ],
      notChecked: [],
    });
    assert.match(r.stderr, /^Checked 1 file in \d+\.\d\d s: 1 problem\.\n$/);
    const text = render({ problems: [{ path: 'nb.ipynb', problem: problem({ cell: 2, message: 'm' }) }, { path: 'a.py', problem: problem() }] }, 'text');
    assert.equal(text.stdout, 'nb.ipynb:cell 2:3:1: IL103 m\na.py:3:1: IL103 m\n');
    assert.equal(text.stderr, 'Checked 1 file in 0.50 s: 2 problems.\n');
  });
});
