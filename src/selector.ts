import type * as vscode from 'vscode';

/** Python files on disk, untitled buffers, and Python cells of notebooks (any scheme). */
export const PYTHON: vscode.DocumentSelector = { language: 'python' };
