/**
 * `[tool.initlens]` in pyproject.toml for `initlens check`: the keys, their
 * validation (one line, exit 2), and the search from each checked PATH upwards.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, configuredRules, editorRules, parseCheckConfig, perFileIgnored } from '../../src/core/diagnostics/config';
import { RULES, type RuleId } from '../../src/core/diagnostics/rules';
import { runCli } from '../../src/cli/run';
import { nodeFiles } from '../../src/node/cliFiles';
import { nodeTree } from '../../src/node/checkTree';

const TRAIN = 'import torch\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';

const config = (toml: string) => parseCheckConfig(toml, 'pyproject.toml');
const rules = (toml: string) => [...(config(toml)?.rules ?? [])].sort();
const fails = (toml: string) => {
  try {
    config(toml);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('\n'), error.message);
    return error.message;
  }
  return assert.fail(`no error for ${toml}`);
};

describe('[tool.initlens] parsing', () => {
  it('select (codes, names, prefixes) less ignore; no table: undefined', () => {
    assert.equal(config('[project]\nname = "x"\n'), undefined);
    assert.equal(config(''), undefined);
    assert.equal(rules('[tool.initlens]\n').length, 10);
    assert.deepEqual(rules('[tool.initlens]\nselect = ["IL1"]\nignore = ["IL105", "dataloader-workers"]\n'), ['cudaManualSeed', 'pythonHashSeed', 'seedAfterConstruction', 'seedMissing']);
    assert.deepEqual(rules('[tool.initlens]\nselect = ["seed-missing", "IL002"]\n'), ['seedMissing', 'symmetricInit']);
  });

  it('exclude, per-file-ignores, seed.default (dotted or as a table)', () => {
    const c = config('[tool.initlens]\nexclude = ["legacy/", "*.gen.py"]\nseed.default = 7\n\n[tool.initlens.per-file-ignores]\n"tests/*" = ["IL101"]\n');
    assert.deepEqual(c?.exclude, ['legacy/', '*.gen.py']);
    assert.equal(c?.seed, 7);
    assert.deepEqual(c?.perFileIgnores.map((p) => [p.pattern, [...p.rules]]), [['tests/*', ['seedMissing']]]);
    assert.equal(config('[tool.initlens.seed]\ndefault = 4294967295\n')?.seed, 4294967295);
  });

  it('advice.level and advice.disable; the retired IL003 is accepted and selects nothing', () => {
    const c = config('[tool.initlens]\nadvice.level = "suggestions"\nadvice.disable = ["lstm", "output"]\n');
    assert.equal(c?.advice?.level, 'suggestions');
    assert.deepEqual([...(c?.advice?.disabled ?? [])], ['lstm', 'output']);
    assert.equal(config('[tool.initlens]\nselect = ["IL0"]\n')?.advice, undefined);
    assert.deepEqual(rules('[tool.initlens]\nselect = ["IL003", "IL002"]\n'), ['symmetricInit']);
    assert.equal(fails('[tool.initlens]\nadvice.level = "all"\n'), 'pyproject.toml: [tool.initlens] advice.level must be one of problems, suggestions, got "all"');
    assert.equal(fails('[tool.initlens]\nadvice.disable = ["kaiming"]\n'), "pyproject.toml: [tool.initlens] advice.disable: 'kaiming' is no advice rule (pretrained, symmetry, signal-gain, normalizer, output, residual, transformer, embedding, lstm, bias, selu, scheme, mup)");
    assert.equal(fails('[tool.initlens]\nadvice.strict = true\n'), 'pyproject.toml: [tool.initlens] advice.strict: unknown key (known: level, disable, width-scaling)');
  });

  it('every mistake is one line naming the file, key and what is wrong', () => {
    assert.equal(fails('[tool.initlens]\nselect = "IL101"\n'), 'pyproject.toml: [tool.initlens] select must be an array of strings');
    assert.equal(fails('[tool.initlens]\nselect = ["IL999"]\n'), "pyproject.toml: [tool.initlens] select: 'IL999' is no rule code (IL001...), name or code prefix");
    assert.equal(fails('[tool.initlens]\nselct = ["IL1"]\n'), 'pyproject.toml: [tool.initlens] selct: unknown key (known: select, ignore, exclude, per-file-ignores, seed, advice)');
    assert.equal(fails('[tool.initlens]\nseed.default = -1\n'), 'pyproject.toml: [tool.initlens] seed.default must be an integer from 0 to 4294967295, got -1');
    assert.equal(fails('[tool.initlens]\nseed.default = 4294967296\n'), 'pyproject.toml: [tool.initlens] seed.default must be an integer from 0 to 4294967295, got 4294967296');
    assert.equal(fails('[tool.initlens]\nseed.default = "7"\n'), "pyproject.toml: [tool.initlens] seed.default must be an integer from 0 to 4294967295, got '7'");
    assert.equal(fails('[tool.initlens]\nseed.value = 7\n'), 'pyproject.toml: [tool.initlens] seed.value: unknown key (known: default)');
    assert.equal(fails('[tool.initlens]\nper-file-ignores = ["a"]\n'), 'pyproject.toml: [tool.initlens] per-file-ignores must be a table of pattern = [codes]');
    assert.equal(fails('[tool.initlens.per-file-ignores]\n"t/*" = ["nope"]\n'), `pyproject.toml: [tool.initlens] per-file-ignores."t/*": 'nope' is no rule code (IL001...), name or code prefix`);
    assert.equal(fails('[tool]\ninitlens = 3\n'), 'pyproject.toml: tool.initlens must be a table');
    // TOML that does not parse: where, from the parser.
    assert.match(fails('[tool.initlens]\nselect = ["IL1"\nx = 1\n'), /^pyproject\.toml:3:1: invalid TOML \(.+\)$/);
  });
});

describe('per-file rules, and the editor\'s merge with its settings', () => {
  const c = parseCheckConfig('[tool.initlens]\nignore = ["IL105"]\n[tool.initlens.per-file-ignores]\n"tests/" = ["IL101"]\n"*_nb.py" = ["IL1"]\n', 'p')!;

  it('gitignore-style patterns against the path relative to the configuration', () => {
    assert.deepEqual([...perFileIgnored(c, 'tests/unit/test_a.py')], ['seedMissing']);
    assert.deepEqual([...perFileIgnored(c, 'src/a.py')], []);
    assert.equal(perFileIgnored(c, 'deep/x_nb.py').size, 6);
    // Outside the configuration's folder no pattern applies.
    assert.deepEqual([...perFileIgnored(c, '../tests/a.py')], []);
    assert.deepEqual([...perFileIgnored(c, undefined)], []);
    assert.deepEqual([...configuredRules(c, 'tests/a.py')].sort(), RULES.filter((r) => r !== 'seedMissing' && r !== 'unseededDefaultRng').sort());
  });

  it('an explicit setting wins; else the project; else the setting (its default)', () => {
    const settings = new Set<RuleId>(RULES.filter((r) => r !== 'cudaManualSeed'));
    const project = new Set<RuleId>(['seedMissing', 'cudaManualSeed']);
    // No project: the settings as they are.
    assert.deepEqual([...editorRules(settings, new Set(), undefined)].sort(), [...settings].sort());
    // A project, nothing explicit: the project's selection.
    assert.deepEqual([...editorRules(settings, new Set(), project)].sort(), ['cudaManualSeed', 'seedMissing']);
    // cudaManualSeed switched off explicitly, symmetricInit on explicitly: those settings win.
    assert.deepEqual([...editorRules(settings, new Set<RuleId>(['cudaManualSeed', 'symmetricInit']), project)].sort(), ['seedMissing', 'symmetricInit']);
  });
});

let dir = '';
const at = (...parts: string[]) => path.join(dir, ...parts);
const write = (rel: string, data: string) => {
  fs.mkdirSync(path.dirname(at(rel)), { recursive: true });
  fs.writeFileSync(at(rel), data);
};
function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...nodeFiles(), tree: nodeTree() }, '9.9.9') as number;
  return { code, stdout, stderr };
}
const found = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [file, line, , rest] = l.split(':');
      return `${path.relative(dir, file)}:${line} ${rest.trim().split(' ')[0]}`;
    });

describe('initlens check with a configuration', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-config-'));
    write('proj/pyproject.toml', '[project]\nname = "p"\n\n[tool.initlens]\nignore = ["IL105"]\nexclude = ["legacy/"]\nseed.default = 7\n\n[tool.initlens.per-file-ignores]\n"tests/*" = ["IL101"]\n');
    write('proj/train.py', TRAIN);
    write('proj/gpu.py', CUDA);
    write('proj/tests/test_train.py', TRAIN);
    write('proj/legacy/old.py', TRAIN);
    // A pyproject.toml without the table is passed over: the one above applies.
    write('proj/sub/pyproject.toml', '[project]\nname = "sub"\n');
    write('proj/sub/train.py', TRAIN);
    write('other/pyproject.toml', '[tool.initlens]\nselect = ["IL1"]\nselct = 1\n');
    write('other/train.py', TRAIN);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exclude and per-file-ignores are relative to the configuration; found from a subfolder upwards', () => {
    const r = run(['check', at('proj')]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(found(r.stdout), ['proj/gpu.py:3 IL103', 'proj/sub/train.py:5 IL101', 'proj/train.py:5 IL101']);
    assert.deepEqual(found(run(['check', at('proj', 'sub')]).stdout), ['proj/sub/train.py:5 IL101']);
    // seed.default is the seed the fix writes.
    const json = JSON.parse(run(['check', '--format', 'json', at('proj', 'train.py')]).stdout);
    assert.equal(json.problems[0].fix, 'Insert seed_everything(7)');
  });

  it('--select replaces the rules, --ignore removes some, --no-config skips the file', () => {
    assert.deepEqual(found(run(['check', '--select', 'IL103', at('proj')]).stdout), ['proj/gpu.py:3 IL103']);
    assert.deepEqual(found(run(['check', '--ignore', 'seed-missing,IL103', at('proj')]).stdout), []);
    assert.equal(run(['check', '--ignore', 'seed-missing,IL103', at('proj')]).code, 0);
    const all = found(run(['check', '--no-config', at('proj')]).stdout);
    assert.deepEqual(all, ['proj/gpu.py:3 IL103', 'proj/legacy/old.py:5 IL101', 'proj/sub/train.py:5 IL101', 'proj/tests/test_train.py:5 IL101', 'proj/train.py:5 IL101']);
    const bad = run(['check', '--select', 'IL9', at('proj')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "initlens: --select: 'IL9' is no rule code (IL001...), name or code prefix (see 'initlens --help')\n");
  });

  it('a bad configuration is one line and exit 2, before anything is checked', () => {
    const r = run(['check', at('other')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `initlens: ${at('other', 'pyproject.toml')}: [tool.initlens] selct: unknown key (known: select, ignore, exclude, per-file-ignores, seed, advice)\n`);
  });
});
