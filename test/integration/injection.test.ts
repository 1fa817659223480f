/**
 * No document text becomes a command (issue 12 defect 3) in a real VS Code:
 * hovering the crafted layers of the reproducer hover_injection.py yields
 * Markdown whose only links are InitLens's own Apply command (for this very
 * document, model and layer), the documentation and the sources of its advice
 * rules (src/core/advice/rules.ts), with no image, and whose
 * trust is limited to `{ enabledCommands: ['initlens.applyInit'] }`. The
 * commands refuse arguments InitLens does not generate and open nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import * as vscode from 'vscode';
import { SOURCES } from '../../src/core/advice/rules';
import { ROOT } from '../host/paths';
import { waitFor } from './helpers';

// The documentation, and the papers the verdicts cite: a fixed table of InitLens's, never text of the document.
const DOCS = ['https://pytorch.org/docs/stable/nn.init.html', 'https://keras.io/api/layers/initializers/', ...Object.values(SOURCES).map((s) => s.url)];
const md = new MarkdownIt('default', { html: true, linkify: true });

function links(markdown: string): { links: string[]; images: number } {
  const rendered = md.render(markdown);
  return { links: [...rendered.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&')), images: (rendered.match(/<img\b/g) ?? []).length };
}

describe('crafted documents (hover_injection.py)', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('hovers with no foreign link or image, trusted only for initlens.applyInit', async () => {
    const content = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reliability', 'hover_injection.py'), 'utf8');
    // A file of its own (not an untitled document, whose name a later suite reuses).
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-')), 'hover_injection.py');
    fs.writeFileSync(file, content);
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(document);
    // The crafted layers' defaults are fine (notes): at the suggestions level their notes offer Apply, whose link is checked.
    const settings = vscode.workspace.getConfiguration('initlens');
    await settings.update('advice.level', 'suggestions', vscode.ConfigurationTarget.Global);
    try {
      const lines = content.split('\n');
      const targets = [
        { line: lines.findIndex((l) => l.includes('keras.layers.Dense')), column: lines.find((l) => l.includes('keras.layers.Dense'))!.indexOf('Dense') + 1 },
        { line: lines.findIndex((l) => l.includes('nn.Linear(dims(')), column: lines.find((l) => l.includes('nn.Linear(dims('))!.indexOf('Linear') + 1 },
      ];
      for (const { line, column } of targets) {
        // The first hover may come before InitLens has activated.
        const ours = await waitFor(async () => {
          const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(line, column));
          const found = hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => typeof c !== 'string' && 'value' in c && c.value.startsWith('**InitLens**'));
          return found.some((c) => c.value.includes('$(info)')) ? found : undefined;
        }, `an InitLens hover with the note on line ${line + 1}`);
        assert.equal(ours.length, 1, `one InitLens hover on line ${line + 1}`);
        const [hover] = ours;
        assert.deepEqual(hover.isTrusted, { enabledCommands: ['initlens.applyInit'] });
        const found = links(hover.value);
        assert.equal(found.images, 0, hover.value);
        for (const link of found.links) {
          if (DOCS.includes(link)) continue;
          assert.ok(link.startsWith('command:initlens.applyInit?'), `foreign link ${link}`);
          const args = JSON.parse(decodeURIComponent(link.slice('command:initlens.applyInit?'.length))) as unknown[];
          assert.equal(args[0], document.uri.toString());
          assert.equal(args.length, 3);
        }
        assert.equal(found.links.filter((l) => l.startsWith('command:')).length, 1, hover.value);
      }
    } finally {
      await settings.update('advice.level', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('refuses command arguments InitLens did not generate, opening nothing', async () => {
    const foreign = 'file:///home/user/other/model.py';
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', foreign, 'Other'), undefined);
    assert.equal(await vscode.commands.executeCommand('initlens.showHistogram', foreign, 'Other'), undefined);
    assert.equal(await vscode.commands.executeCommand('initlens.showSeedReport', foreign), undefined);
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', 42, { evil: true }), undefined);
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === foreign), 'the foreign file was not opened');
  });
});
