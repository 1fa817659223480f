import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Saves what a panel page exported (CSV or SVG text, or a PNG data URL) where
 * the user picks, `base.format` in the first workspace folder suggested.
 */
export async function saveExport(base: string, format: 'csv' | 'svg' | 'png', data: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = await vscode.window.showSaveDialog({
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.${format}`) } : {}),
    filters: { [format.toUpperCase()]: [format] },
  });
  if (!uri) return;
  const bytes = format === 'png' ? Buffer.from(data.slice('data:image/png;base64,'.length), 'base64') : Buffer.from(data, 'utf8');
  await vscode.workspace.fs.writeFile(uri, bytes);
  vscode.window.setStatusBarMessage(`InitLens: saved ${path.basename(uri.path)}`, 4000);
}
