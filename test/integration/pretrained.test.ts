/**
 * Transfer learning in a real VS Code (issue 14): over a pretrained resnet18 the lens and the hover
 * say "pretrained (IMAGENET1K_V1): not initialized at random", the replaced fc gets its own verdict
 * (a lens with its gain, the hover saying it is new beside the pretrained model), and a layer loaded
 * by load_state_dict shows pretrained instead of an init.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { lensOf } from '../../src/core/advice/present';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { hoverText, waitFor } from './helpers';

const TEXT = [
  'import torch',
  'import torch.nn as nn',
  'from torchvision import models',
  'model = models.resnet18(weights="IMAGENET1K_V1")',
  'model.fc = nn.Linear(512, 10)',
  'class Head(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.proj = nn.Linear(512, 128)',
  '        self.load_state_dict(torch.load("head.pt"))',
  '    def forward(self, x):',
  '        return self.proj(x)',
  '',
].join('\n');

const plain = (markdown: string) => markdown.replace(/\\/g, '');

describe('transfer learning: lenses and hovers', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the lens over a pretrained resnet18 says pretrained; the replaced fc gets its own verdict; a loaded layer shows pretrained', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'python', content: TEXT });
    await vscode.window.showTextDocument(document);
    const lenses = await waitFor(async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
      return all.some((l) => l.command?.title.includes('pretrained (IMAGENET1K_V1)')) ? all : undefined;
    }, 'the pretrained lens', 20_000);
    const titles = (line: number) => lenses.filter((l) => l.range.start.line === line && l.command).map((l) => l.command!.title);
    assert.ok(titles(3).includes('$(package) pretrained (IMAGENET1K_V1): not initialized at random'), JSON.stringify(titles(3)));

    // The replaced head: the verdict the core gives it, a ✓ with its analytic gain 1/√3 (PyTorch's default on 512 inputs).
    const analysis = new ModelAnalyzer().analyze(parsePython(TEXT), TEXT);
    const advice = adviseAnalysis(analysis, TEXT);
    const fc = analysis.models.find((m) => m.name === 'model.fc')!.layers[0];
    const lens = lensOf(fc, advice.verdict(fc), 'problems')!;
    assert.ok(titles(4).includes(lens.title), `${lens.title} among ${JSON.stringify(titles(4))}`);
    assert.ok(lens.title.startsWith('$(check) ') && lens.title.includes('gain ×0.58'), lens.title);
    assert.ok(titles(4).includes('Preview'), 'the new head can be previewed');

    // The layer a load_state_dict reaches: pretrained, no Preview, no Apply.
    assert.ok(titles(8).includes('$(check) pretrained (head.pt): not initialized at random'), JSON.stringify(titles(8)));
    assert.ok(!titles(8).includes('Preview') && !titles(8).includes('Apply'), JSON.stringify(titles(8)));

    const hover = async (line: number, character: number) => plain(hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(line, character))));
    const backbone = await hover(3, 'model = models.res'.length);
    assert.ok(backbone.includes('pretrained (IMAGENET1K_V1): not initialized at random'), backbone.slice(0, 300));
    const head = await hover(4, 'model.fc = nn.Li'.length);
    assert.ok(head.includes('New layer beside the pretrained resnet18 (IMAGENET1K_V1) (line 4), so it starts at random'), head.slice(0, 400));
  });
});
