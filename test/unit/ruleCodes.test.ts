/**
 * The rule-code table (src/core/diagnostics/codes.ts) against the README's
 * "Rule codes" section: one section per rule, headed `IL101 seed-missing`,
 * opening with the table's description, whose example the rule flags.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RULE_CODES, ruleAnchor, ruleOfCode, rulesOfSelector } from '../../src/core/diagnostics/codes';
import { checkDocument, RULES, type RuleId } from '../../src/core/diagnostics/rules';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { ROOT } from '../host/paths';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** `#### IL101 seed-missing` sections: heading → body up to the next heading. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = README.split(/^#### /m).slice(1);
  for (const part of parts) {
    const [heading, ...rest] = part.split('\n');
    if (/^IL\d{3} /.test(heading)) out.set(heading, rest.join('\n').split(/^#{1,4} /m)[0]);
  }
  return out;
}

/** GitHub's heading slug: lower case, punctuation other than `-` dropped, spaces to `-`. */
const slug = (heading: string) => heading.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

function rulesFlagging(text: string): RuleId[] {
  const tree = parsePython(text);
  // At the suggestions level, so that IL202's example (a note) shows too.
  const findings = checkDocument({ text, tree, seeding: analyzeSeeding(tree, text), models: new ModelAnalyzer().analyze(tree, text) }, { seed: 42, deterministic: true, warnOnly: false, advice: { level: 'suggestions', disabled: new Set() } });
  return findings.map((f) => f.rule);
}

describe('rule codes', () => {
  it('every rule has one distinct code IL + 3 digits and a kebab-case name', () => {
    assert.deepEqual(Object.keys(RULE_CODES).sort(), [...RULES].sort());
    const codes = Object.values(RULE_CODES).map((c) => c.code);
    const names = Object.values(RULE_CODES).map((c) => c.name);
    assert.equal(new Set(codes).size, RULES.length);
    assert.equal(new Set(names).size, RULES.length);
    for (const c of Object.values(RULE_CODES)) {
      assert.match(c.code, /^IL\d{3}$/);
      assert.match(c.name, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(!c.description.includes('\n') && c.description.endsWith('.'), c.code);
    }
    // The issue's own example, and the families.
    assert.equal(RULE_CODES.seedMissing.code, 'IL101');
    assert.equal(RULE_CODES.seedMissing.name, 'seed-missing');
  });

  it('codes and names look up their rule; selectors pick families by prefix', () => {
    assert.equal(ruleOfCode('IL101'), 'seedMissing');
    assert.equal(ruleOfCode('il101'), 'seedMissing');
    assert.equal(ruleOfCode('seed-missing'), 'seedMissing');
    assert.equal(ruleOfCode('seedMissing'), undefined);
    assert.equal(ruleOfCode('IL999'), undefined);
    assert.deepEqual(rulesOfSelector('IL0')?.sort(), ['invalidLayerSize', 'symmetricInit']);
    assert.equal(rulesOfSelector('IL')?.length, 10);
    assert.equal(rulesOfSelector('IL9'), undefined);
    assert.equal(rulesOfSelector('X'), undefined);
  });

  it('the README has one section per code, in sync with the table, and its example triggers the rule', () => {
    const found = sections();
    assert.equal(found.size, RULES.length, [...found.keys()].join(', '));
    for (const rule of RULES) {
      const { code, name, description } = RULE_CODES[rule];
      const heading = `${code} ${name}`;
      const body = found.get(heading);
      assert.ok(body !== undefined, `README section '#### ${heading}'`);
      assert.equal(slug(heading), ruleAnchor(rule));
      assert.equal(body.trim().split('\n')[0], description, heading);
      const example = /```python\n([\s\S]*?)```/.exec(body)?.[1];
      assert.ok(example, `${heading} has an example`);
      assert.ok(rulesFlagging(example).includes(rule), `${heading}: the example gives ${rulesFlagging(example).join(', ') || 'nothing'}`);
      // The Diagnostics table names the code beside the rule.
      assert.ok(README.includes(`| \`${code}\` | \`${rule}\` |`), `${code} in the Diagnostics table`);
    }
  });
});
