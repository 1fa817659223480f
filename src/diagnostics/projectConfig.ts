/**
 * `[tool.initlens]` of the nearest `pyproject.toml` above a document, for the
 * editor's diagnostics, read as `initlens check` reads it
 * (core/diagnostics/config.ts): the search goes up from the document's folder
 * to its workspace folder, passing over files without the table. Read through
 * `vscode.workspace.fs` (remote and virtual workspaces too), cached per
 * folder, and dropped when any `pyproject.toml` changes, which
 * {@link ProjectConfigs.onDidChange} announces. A configuration with a
 * mistake is shown once as a warning and then ignored.
 */
import * as vscode from 'vscode';
import { ConfigError, parseCheckConfig, type CheckConfig } from '../core/diagnostics/config';
import { LIMITS } from '../core/limits';

export interface ProjectConfig {
  readonly config: CheckConfig;
  /** The folder its patterns are relative to. */
  readonly base: vscode.Uri;
}

export class ProjectConfigs implements vscode.Disposable {
  private readonly byFolder = new Map<string, Promise<ProjectConfig | undefined>>();
  private readonly known = new Map<string, ProjectConfig | undefined>();
  private readonly warned = new Set<string>();
  /** Folders whose {@link get} waits for a lookup. */
  private readonly waiting = new Set<string>();
  /** Bumped when any pyproject.toml changes: lookups started before are stale. */
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** Fires when a lookup finished or a `pyproject.toml` changed: documents should be re-checked. */
  readonly onDidChange = this.changed.event;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/pyproject.toml');
    const reset = () => {
      this.generation++;
      this.byFolder.clear();
      this.known.clear();
      this.waiting.clear();
      this.changed.fire();
    };
    watcher.onDidChange(reset, undefined, this.disposables);
    watcher.onDidCreate(reset, undefined, this.disposables);
    watcher.onDidDelete(reset, undefined, this.disposables);
    this.disposables.push(watcher);
  }

  /**
   * The configuration of a document (by its URI) as far as known now; `'pending'` while it
   * is being read (then {@link onDidChange} fires), undefined when there is none.
   */
  get(uri: vscode.Uri): ProjectConfig | undefined | 'pending' {
    const root = vscode.workspace.getWorkspaceFolder(uri)?.uri;
    if (!root || uri.scheme === 'untitled') return undefined;
    const folder = vscode.Uri.joinPath(uri, '..');
    const key = folder.toString();
    if (this.known.has(key)) return this.known.get(key);
    // Once per folder and generation (a lookup started by resolve() is joined, not repeated).
    if (!this.waiting.has(key)) {
      this.waiting.add(key);
      const generation = this.generation;
      void this.lookup(folder, root).then((found) => {
        if (generation !== this.generation) return;
        this.waiting.delete(key);
        this.known.set(key, found);
        this.changed.fire();
      });
    }
    return 'pending';
  }

  private lookup(folder: vscode.Uri, root: vscode.Uri): Promise<ProjectConfig | undefined> {
    const key = folder.toString();
    let found = this.byFolder.get(key);
    if (!found) {
      found = this.read(folder).then((config) => {
        if (config) return { config, base: folder };
        const parent = vscode.Uri.joinPath(folder, '..');
        // Up to the workspace folder, not beyond: what lies above is not this workspace's.
        return folder.toString() === root.toString() || parent.toString() === key ? undefined : this.lookup(parent, root);
      });
      this.byFolder.set(key, found);
    }
    return found;
  }

  private async read(folder: vscode.Uri): Promise<CheckConfig | undefined> {
    const file = vscode.Uri.joinPath(folder, 'pyproject.toml');
    let bytes: Uint8Array;
    try {
      const stat = await vscode.workspace.fs.stat(file);
      if (stat.type !== vscode.FileType.File || stat.size > LIMITS.configBytes.value) return undefined;
      bytes = await vscode.workspace.fs.readFile(file);
    } catch {
      return undefined;
    }
    try {
      return parseCheckConfig(new TextDecoder().decode(bytes), vscode.workspace.asRelativePath(file));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (!this.warned.has(error.message)) {
        this.warned.add(error.message);
        void vscode.window.showWarningMessage(`InitLens: ${error.message} (this configuration is not used)`);
      }
      return undefined;
    }
  }

  /** The configuration of a file, once read; known to {@link get} from then on (unless a pyproject.toml changed meanwhile). */
  async resolve(uri: vscode.Uri): Promise<ProjectConfig | undefined> {
    const root = vscode.workspace.getWorkspaceFolder(uri)?.uri;
    if (!root || uri.scheme === 'untitled') return undefined;
    const folder = vscode.Uri.joinPath(uri, '..');
    const generation = this.generation;
    const found = await this.lookup(folder, root);
    if (generation === this.generation) this.known.set(folder.toString(), found);
    return found;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
