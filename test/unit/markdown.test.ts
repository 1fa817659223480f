/**
 * Document text never becomes Markdown: the escaping helpers, and every hover
 * InitLens builds from a crafted file (reproducer hover_injection.py, issue 12
 * defect 3). The oracle is an independent renderer, markdown-it (CommonMark +
 * GFM tables + linkify for bare URLs, raw HTML on): escaped text must render as
 * exactly the characters typed, and a rendered hover may hold no link or image
 * InitLens did not write.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { lensOf } from '../../src/core/advice/present';
import { activationHoverMarkdown, initHoverMarkdown, layerHoverMarkdown, seedHoverMarkdown } from '../../src/core/hovers';
import { codeBlock, codeSpan, commandLink, escapeMarkdown, tableCell } from '../../src/core/markdown';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { seedReportMarkdown } from '../../src/core/seeding/report';
import { ROOT } from '../host/paths';
import { mulberry32 } from '../fuzz/random';

const md = new MarkdownIt('default', { html: true, linkify: true });

/** What markdown-it writes for literal text. */
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Text on one line, as the helpers put it. */
const flat = (text: string) => text.replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, ' ');
/** Rendered text as VS Code needs it: `\$(` is the escaped form of a theme icon, which `$(` would become. */
const iconSafe = (rendered: string) => rendered.replace(/\$\(/g, '\\$(');

/** Deterministic random strings rich in Markdown syntax (mulberry32). */
function* randomTexts(count: number, seed: number): Generator<string> {
  const next = mulberry32(seed);
  const pieces = ['[', ']', '(', ')', '!', '`', '``', '```', '*', '_', '~', '#', '>', '<', '|', '\\', '$(', '$', '&', '&amp;', '&#x41;', ':', '/', '.', '-', '+', '=', '"', "'", '@', '{', '}', '^', '%5B',
    'a', 'b', 'x', '1', ' ', '  ', '\n', '\r\n', '\r', '\t', '\u2028', 'é', '→', 'https://', 'http://', 'www.', 'command:', 'initlens.applyInit?', 'mailto:', 'a@b.co', '<img src=x>', '<script>', '](', '![](', '[x]: http://e.x'];
  for (let i = 0; i < count; i++) {
    let text = '';
    const n = Math.floor(next() * 16);
    for (let j = 0; j < n; j++) text += pieces[Math.floor(next() * pieces.length)];
    yield text;
  }
}

const ATTACKS = [
  '[x](command:initlens.applyInit?%5B%22file%3A%2F%2F%2Fother.py%22%5D)',
  '![](http://attacker.example/ping.png)',
  '<http://attacker.example>',
  'https://attacker.example/a?b=c',
  'www.attacker.example',
  'me@attacker.example',
  '<img src="https://attacker.example/p.png">',
  '<a href="command:initlens.applyInit">x</a>',
  '`code` and ``two``',
  'line\n# heading\n- item\n> quote',
  '*em* **strong** _u_ ~~s~~',
  '[ref]\n\n[ref]: http://attacker.example',
  '$(warning) $(check~spin)',
  '&lt;b&gt; &#x3C;',
  '| a | b |',
  '\\[not a link\\](command:x)',
];

describe('escapeMarkdown', () => {
  it('escapes every ASCII punctuation character and joins lines', () => {
    for (const c of '!"#%&\'()*+,-./:;<=>?@[\\]^_`{|}~') assert.equal(escapeMarkdown(c), `\\${c}`, c);
    assert.equal(escapeMarkdown('$'), '\\$');
    assert.equal(escapeMarkdown('[x](command:initlens.applyInit?%5B%5D)'), '\\[x\\]\\(command\\:initlens\\.applyInit\\?\\%5B\\%5D\\)');
    assert.equal(escapeMarkdown('![](http://a.b/c.png)'), '\\!\\[\\]\\(http\\:\\/\\/a\\.b\\/c\\.png\\)');
    assert.equal(escapeMarkdown('<http://a.b>'), '\\<http\\:\\/\\/a\\.b\\>');
    assert.equal(escapeMarkdown('`x`'), '\\`x\\`');
    assert.equal(escapeMarkdown('a\nb\r\nc\rd\u2028e'), 'a b c d e');
    assert.equal(escapeMarkdown('fc1 layer'), 'fc1 layer');
    // `$(` must render as `\$(`, VS Code's escaped icon, so it is written `\\\$\(`.
    assert.equal(escapeMarkdown('$(warning)'), '\\\\\\$\\(warning\\)');
  });

  it('renders as exactly the text typed, with no link, image, HTML or icon (attacks and 3,000 random strings)', () => {
    for (const text of [...ATTACKS, ...randomTexts(3000, 12)]) {
      assert.equal(md.renderInline(escapeMarkdown(text)), iconSafe(html(flat(text))), JSON.stringify(text));
    }
  });
});

describe('codeSpan, codeBlock, tableCell, commandLink', () => {
  it('keeps any backtick run, edge spaces and markup inside the span', () => {
    assert.equal(codeSpan('nn.Linear'), '`nn.Linear`');
    assert.equal(codeSpan('a`b'), '``a`b``');
    assert.equal(codeSpan('`x'), '`` `x ``');
    assert.equal(codeSpan(' x '), '`  x  `');
    assert.equal(codeSpan(''), '');
    assert.equal(codeSpan('$(check)'), escapeMarkdown('$(check)'));
    for (const text of [...ATTACKS, ...randomTexts(3000, 34)]) {
      const line = flat(text);
      const expected = line.includes('$(') || line.trim() === '' ? iconSafe(html(line)) : `<code>${html(line)}</code>`;
      assert.equal(md.renderInline(codeSpan(text)), expected, JSON.stringify(text));
    }
  });

  it('fences code blocks beyond any backtick run in the code', () => {
    assert.equal(codeBlock('x = 1', 'python'), '\n```python\nx = 1\n```\n');
    assert.equal(codeBlock('a ```` b', 'python'), '\n`````python\na ```` b\n`````\n');
    for (const code of [...ATTACKS, ...randomTexts(1000, 56)]) {
      const lines = code.replace(/\r\n?/g, '\n');
      // markdown-it, like CommonMark, normalizes every line ending to \n and U+2028 is not one.
      assert.equal(md.render(codeBlock(code, 'python')), `<pre><code class="language-python">${html(lines)}\n</code></pre>\n`, JSON.stringify(code));
    }
  });

  it('keeps a table row at its columns whatever a cell holds', () => {
    for (const text of ['a | b', '`|`', '\\|', ...ATTACKS]) {
      const rendered = md.render(`| x | y |\n| --- | --- |\n| ${tableCell(codeSpan(text))} | ${tableCell(escapeMarkdown(text))} |\n`);
      assert.equal(rendered.match(/<td>/g)?.length, 2, `${JSON.stringify(text)} → ${rendered}`);
      assert.doesNotMatch(rendered, /<a |<img/);
    }
  });

  it('writes command links whose arguments cannot end the link', () => {
    const args = ['file:///m.py', 'Net', 'x) [y](command:evil'];
    const rendered = md.renderInline(commandLink('Apply', 'initlens.applyInit', args));
    const hrefs = [...rendered.matchAll(/href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    assert.equal(hrefs.length, 1);
    assert.deepEqual(JSON.parse(decodeURIComponent(hrefs[0].slice('command:initlens.applyInit?'.length))), args);
  });
});

/** Every link target and image of rendered HTML. */
function targets(rendered: string): { links: string[]; images: number; tags: string[] } {
  return {
    links: [...rendered.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&')),
    images: (rendered.match(/<img\b/g) ?? []).length,
    tags: [...new Set([...rendered.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]))].sort(),
  };
}

/** The tags a hover's own Markdown produces (paragraphs, emphasis, code, tables, lists, links). */
const OWN_TAGS = new Set(['a', 'code', 'li', 'p', 'pre', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul']);
const DOCS = ['https://pytorch.org/docs/stable/nn.init.html', 'https://keras.io/api/layers/initializers/'];

describe('hovers built from a crafted file (hover_injection.py)', () => {
  const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reliability', 'hover_injection.py'), 'utf8');
  const uri = 'file:///work/hover_injection.py';
  const analysis = new ModelAnalyzer().analyze(parsePython(text), text);
  const models = analysis.models;
  // At the suggestions level, so that every verdict (and its Apply link, where it has one) is shown.
  const advice = adviseAnalysis(analysis, text, { level: 'suggestions', disabled: new Set() });

  it('has the two layers that carry Markdown in the file', () => {
    const layers = models.flatMap((m) => m.layers.map((l) => [m.name, l.name]));
    assert.equal(layers.length, 2);
    assert.ok(models[0].layers[0].name.includes('[Apply fix](command:initlens.applyInit?'));
  });

  it('contains no link or image that InitLens did not write, and shows the document text as typed', () => {
    let hovers = 0;
    for (const model of models) {
      for (const layer of model.layers) {
        const own = `command:initlens.applyInit?${encodeURIComponent(JSON.stringify([uri, model.name, layer.name])).replace(/[()!'*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
        const verdict = advice.verdict(layer);
        const shown = { verdict, level: 'suggestions' as const };
        const source = verdict ? [verdict.source.url] : [];
        const markdowns = [layerHoverMarkdown(model, layer, uri, 'initlens.applyInit', shown), activationHoverMarkdown(layer), ...layer.params.map((p) => initHoverMarkdown(model, layer, p, shown))];
        for (const markdown of markdowns) {
          if (!markdown) continue;
          hovers++;
          const rendered = md.render(markdown);
          const found = targets(rendered);
          assert.equal(found.images, 0, rendered);
          for (const link of found.links) assert.ok(link === own || DOCS.includes(link) || source.includes(link), `foreign link ${link}`);
          for (const tag of found.tags) assert.ok(OWN_TAGS.has(tag), `tag <${tag}> in ${rendered}`);
        }
        const rendered = md.render(markdowns[0]);
        // The Keras name and the unresolved size read as typed (on one line).
        if (layer.framework === 'keras') assert.ok(rendered.includes(html(layer.name)), rendered);
        else assert.ok(rendered.includes(html('dims("[docs](command:initlens.applyInit?%5B%22file%3A%2F%2F%2Fhome%2Fuser%2Fother%2Fmodel.py%22%5D)")')), rendered);
        const apply = lensOf(layer, verdict, 'suggestions')?.apply ? [own] : [];
        assert.deepEqual(targets(rendered).links, [...source, ...apply, layer.framework === 'torch' ? DOCS[0] : DOCS[1]]);
      }
    }
    assert.ok(hovers >= 4, `${hovers} hovers`);
  });

  it('keeps the seed hover and the seed report free of document links', () => {
    const source = 'import torch\ntorch.manual_seed(int("`| [x](command:initlens.applyInit?%5B%5D) ![](https://attacker.example/p.png) <img src=x> $(check)"))\n';
    const seeding = analyzeSeeding(parsePython(source), source);
    const reference = seeding.references[0];
    assert.equal(reference.qualifiedName, 'torch.manual_seed');
    const hover = targets(md.render(seedHoverMarkdown(reference, uri, 'initlens.showSeedReport')));
    assert.equal(hover.images, 0);
    assert.deepEqual(hover.links, [`command:initlens.showSeedReport?${encodeURIComponent(JSON.stringify([uri]))}`, reference.api.docs]);
    const report = md.render(seedReportMarkdown(seeding, source, 'train [x](http://e.x).py'));
    const found = targets(report);
    assert.deepEqual([found.links, found.images], [[], 0]);
    for (const row of report.split('<tr>').slice(1)) assert.equal((row.match(/<t[dh]>/g) ?? []).length, 2, row);
    assert.ok(report.includes('<h1>Seed report: train [x](http://e.x).py</h1>'), report);
  });
});
