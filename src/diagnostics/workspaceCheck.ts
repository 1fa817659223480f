/**
 * "InitLens: Check workspace" (`initlens.checkWorkspace`): `initlens check`
 * over each workspace folder, in the editor. The same walk (src/cli/checkWalk.ts:
 * `.gitignore` files, the `exclude` of the folder's `[tool.initlens]`, hidden
 * folders and environments skipped), the same per-file function on the same
 * `worker_threads` pool (src/cli/checkFile.ts, dist/checkWorker.js: off the
 * extension host's thread), notebooks as one program with their problems on
 * their cells, classes built in the project's other files given those
 * arguments. The rules and the seed are the live diagnostics' (an explicit
 * `initlens.*` setting wins over `[tool.initlens]`, src/diagnostics/seedDiagnostics.ts).
 *
 * The problems go to the Problems panel for the files that are not open; an
 * open `.py` file keeps its live diagnostics only, and gets this check's back
 * when it closes. Once the command has run, the results stay current: a
 * saved, created or deleted `.py` or `.ipynb` is checked again after a pause
 * (with the files whose classes it may build: those whose module it names),
 * and a changed `pyproject.toml`, `.gitignore` or `initlens.*` setting checks
 * the whole workspace again. Local folders only (`file:`): the walk and the
 * workers read the file system directly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { utf16Column, type Problem } from '../core/diagnostics/check';
import { mentions } from '../core/workspace/index';
import { processFile, type FileOutcome, type FileTask } from '../cli/checkFile';
import { FILES_PER_WORKER, runPool } from '../cli/checkPool';
import { patternScope, walk } from '../cli/checkWalk';
import { tooLarge } from '../cli/usage';
import { nodeTree } from '../node/checkTree';
import { nodeFiles } from '../node/cliFiles';
import { decodeSource } from '../node/sourceText';
import { posixPath } from '../node/workspaceFiles';
import { Commands } from '../commands/ids';
import { onDidChangeConfig, readConfig } from '../config';
import type { CheckedNotebooks } from './checkedNotebooks';
import type { ProjectConfigs } from './projectConfig';
import { chosenRules, ruleDiagnostic } from './seedDiagnostics';

/** What the command resolves to, for automation and tests. */
export interface WorkspaceCheckSummary {
  /** Files the walk found. */
  readonly found: number;
  /** Files checked (all of them unless cancelled). */
  readonly files: number;
  /** Problems in the checked files, open ones included. */
  readonly problems: number;
  /** Paths that could not be checked (unreadable, binary, above a limit, a syntax error). */
  readonly notChecked: number;
  readonly cancelled: boolean;
}

/** `executeCommand('initlens.checkWorkspace', { cancel })`: a token that cancels as the notification's button does. */
export interface WorkspaceCheckArgs {
  readonly cancel?: vscode.CancellationToken;
}

/** Pause after the last change before checking again (a save of many files is one update). */
const UPDATE_MS = 300;

/** Least time between two progress messages. */
const PROGRESS_MS = 100;

const NONE: WorkspaceCheckSummary = { found: 0, files: 0, problems: 0, notChecked: 0, cancelled: false };

/** A file's text as the check read it (UTF-8, else Latin-1), for the columns of its problems. */
async function diskText(file: string): Promise<string> {
  return decodeSource(await fs.promises.readFile(file)).text;
}

/** A problem's range in the lines of its file or cell (1-based code-point columns to UTF-16). */
function rangeOf(lines: readonly string[], p: Problem): vscode.Range {
  return new vscode.Range(p.line - 1, utf16Column(lines[p.line - 1] ?? '', p.column), p.endLine - 1, utf16Column(lines[p.endLine - 1] ?? '', p.endColumn));
}

const linesOf = (text: string) => text.split(/\r\n|\r|\n/);

/** A notebook's cells as nbformat JSON, as `initlens check` reads an `.ipynb` (only `cell_type` and `source` matter). */
function notebookJson(notebook: vscode.NotebookDocument): string {
  const cells = notebook.getCells().map((c) => ({
    cell_type: c.kind === vscode.NotebookCellKind.Code && c.document.languageId !== 'raw' ? 'code' : 'markdown',
    source: c.document.getText(),
  }));
  return JSON.stringify({ cells });
}

class WorkspaceCheck implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('initlens-workspace');
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly readme: vscode.Uri;
  private readonly script: string;
  /** The files of the last walk, by path, with the task that checks each. */
  private tasks = new Map<string, FileTask>();
  /** The problems each file had on disk when last checked (the same array until it is checked again). */
  private readonly problems = new Map<string, readonly Problem[]>();
  /** Set once the command has run: from then on, changes are followed. */
  private active = false;
  private running?: AbortController;
  /** Runs one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<string>();
  private full = false;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly notebookTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly projects: ProjectConfigs,
    private readonly notebooks: CheckedNotebooks,
    extensionUri: vscode.Uri,
  ) {
    this.readme = vscode.Uri.joinPath(extensionUri, 'README.md');
    // `initlens check --jobs N`'s worker, built beside dist/extension.js.
    this.script = vscode.Uri.joinPath(extensionUri, 'dist', 'checkWorker.js').fsPath;
    const d = this.disposables;
    d.push(vscode.commands.registerCommand(Commands.checkWorkspace, (args?: WorkspaceCheckArgs) => this.command(args)));
    const sources = vscode.workspace.createFileSystemWatcher('**/*.{py,ipynb}');
    sources.onDidChange((uri) => this.schedule(uri), undefined, d);
    sources.onDidCreate((uri) => this.schedule(uri), undefined, d);
    sources.onDidDelete((uri) => this.schedule(uri), undefined, d);
    const configs = vscode.workspace.createFileSystemWatcher('**/{pyproject.toml,.gitignore}');
    configs.onDidChange(() => this.schedule(), undefined, d);
    configs.onDidCreate(() => this.schedule(), undefined, d);
    configs.onDidDelete(() => this.schedule(), undefined, d);
    d.push(sources, configs);
    onDidChangeConfig(() => this.schedule(), d);
    // An open file has its live diagnostics; this check's come back when it closes.
    vscode.workspace.onDidOpenTextDocument((doc) => doc.uri.scheme === 'file' && this.collection.delete(doc.uri), undefined, d);
    vscode.workspace.onDidCloseTextDocument((doc) => doc.uri.scheme === 'file' && this.tasks.has(doc.uri.fsPath) && void this.publish(doc.uri.fsPath), undefined, d);
    // A checked notebook being edited is checked again from its cells; closed, from disk.
    vscode.workspace.onDidChangeNotebookDocument((e) => this.notebooks.has(e.notebook.uri) && this.scheduleNotebook(e.notebook), undefined, d);
    vscode.workspace.onDidCloseNotebookDocument((nb) => this.closedNotebook(nb), undefined, d);
    // A checked notebook opened later is read as one program too, not cell by cell.
    vscode.workspace.onDidOpenNotebookDocument((nb) => this.openedNotebook(nb), undefined, d);
  }

  private isOpen(uri: vscode.Uri): boolean {
    return vscode.workspace.textDocuments.some((doc) => doc.uri.toString() === uri.toString());
  }

  /** The command: every file again, with a cancellable notification. */
  private command(args?: WorkspaceCheckArgs): Thenable<WorkspaceCheckSummary> {
    this.running?.abort();
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'InitLens: checking the workspace', cancellable: true }, (progress, token) => {
      const abort = new AbortController();
      const cancel = () => abort.abort();
      const subscriptions = [token.onCancellationRequested(cancel), args?.cancel?.onCancellationRequested(cancel)];
      if (args?.cancel?.isCancellationRequested) cancel();
      const run = this.enqueue(async () => {
        this.active = true;
        this.collection.clear();
        this.problems.clear();
        const tasks = await this.walkAll();
        this.tasks = new Map(tasks.all.map((t) => [t.path, t]));
        let shown = 0;
        let reported = 0;
        const summary = await this.check(tasks.all, abort, (done) => {
          if (performance.now() - shown < PROGRESS_MS && done < tasks.all.length) return;
          shown = performance.now();
          progress.report({ message: `${done} of ${tasks.all.length} files`, increment: ((done - reported) * 100) / Math.max(tasks.all.length, 1) });
          reported = done;
        });
        const result = { ...summary, found: tasks.all.length, notChecked: summary.notChecked + tasks.issues };
        if (!result.cancelled) vscode.window.setStatusBarMessage(`InitLens: checked ${result.files} files: ${result.problems} problems`, 10_000);
        return result;
      }, abort);
      return run.finally(() => subscriptions.forEach((s) => s?.dispose()));
    });
  }

  /** Runs `work` after what is queued, as the current run (which the next command aborts). */
  private enqueue<T>(work: () => Promise<T>, abort: AbortController): Promise<T> {
    const run = this.queue.then(() => {
      this.running = abort;
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The tasks of every local workspace folder's files, as `initlens check FOLDER` finds them. */
  private async walkAll(): Promise<{ all: FileTask[]; issues: number }> {
    const io = nodeFiles();
    const all: FileTask[] = [];
    let issues = 0;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      // `exclude` is the folder's own configuration's, as `initlens check` takes the checked PATH's.
      const root = await this.projects.resolve(vscode.Uri.joinPath(folder.uri, 'pyproject.toml'));
      const exclude = root && root.config.exclude.length > 0 ? patternScope(root.base.fsPath, root.config.exclude) : undefined;
      const walked = walk([{ path: folder.uri.fsPath, ...(exclude ? { exclude } : {}) }], nodeTree(), { readText: (p, limit) => io.readFile(p, limit) });
      issues += walked.issues.length;
      for (const file of walked.files) all.push(await this.taskOf(file.path, file.notebook));
    }
    return { all, issues };
  }

  private async taskOf(file: string, notebook: boolean): Promise<FileTask> {
    const uri = vscode.Uri.file(file);
    const chosen = chosenRules(uri, await this.projects.resolve(uri));
    const config = readConfig(uri);
    return {
      path: file,
      notebook,
      seed: chosen.seed,
      rules: [...chosen.rules],
      mode: 'check',
      workspace: true,
      // The editor's verdicts follow the initlens.advice.* settings (README "Configuration").
      advice: { level: config.advice.level, disabled: [...config.advice.disabled], ...(config.advice.widthScaling ? { widthScaling: true } : {}) },
      deterministic: config.seedDeterministic,
      warnOnly: config.seedWarnOnly,
    };
  }

  /** Checks `tasks` on the pool, publishing each file's problems as they come. */
  private async check(tasks: readonly FileTask[], abort: AbortController, progress?: (done: number) => void): Promise<Omit<WorkspaceCheckSummary, 'found'>> {
    if (tasks.length === 0 || abort.signal.aborted) return { ...NONE, cancelled: abort.signal.aborted };
    const workers = Math.max(1, Math.min(os.availableParallelism(), Math.ceil(tasks.length / FILES_PER_WORKER)));
    const weights = tasks.map((t) => {
      try {
        return fs.statSync(t.path).size;
      } catch {
        return 0; // its worker says why
      }
    });
    let files = 0;
    let problems = 0;
    let notChecked = 0;
    const shown: Promise<void>[] = [];
    await runPool(
      this.script,
      tasks,
      workers,
      (done, i, outcome: FileOutcome) => {
        files++;
        problems += outcome.problems.length;
        if (!outcome.checked) notChecked++;
        this.problems.set(tasks[i].path, outcome.problems);
        shown.push(this.publish(tasks[i].path));
        progress?.(done);
      },
      weights,
      abort.signal,
    );
    // Resolved once the Problems panel shows them all.
    await Promise.all(shown);
    return { files, problems, notChecked, cancelled: abort.signal.aborted };
  }

  /** Shows a file's problems: on its cells for a notebook, nothing for an open `.py` file. */
  private async publish(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    const problems = this.problems.get(file) ?? [];
    if (this.tasks.get(file)?.notebook) return this.publishNotebook(uri, problems);
    if (problems.length === 0 || this.isOpen(uri)) return this.collection.delete(uri);
    let text: string;
    try {
      text = await diskText(file);
    } catch {
      return this.collection.delete(uri); // deleted meanwhile: the watcher's update follows
    }
    // Checked again, or opened, while it was read.
    if (this.problems.get(file) !== problems || this.isOpen(uri)) return;
    const lines = linesOf(text);
    this.collection.set(uri, problems.map((p) => ruleDiagnostic(rangeOf(lines, p), p, this.readme)));
  }

  /**
   * A notebook's problems go on its cells' documents, which exist once the
   * notebook is loaded: it is loaded (not shown) when it has problems.
   */
  private async publishNotebook(uri: vscode.Uri, problems: readonly Problem[]): Promise<void> {
    let notebook = vscode.workspace.notebookDocuments.find((nb) => nb.uri.toString() === uri.toString());
    if (!notebook) {
      if (problems.length === 0) return this.notebooks.delete(uri);
      try {
        notebook = await vscode.workspace.openNotebookDocument(uri);
      } catch {
        return; // no serializer for .ipynb here: nowhere to show the cells' problems
      }
      if (this.problems.get(uri.fsPath) !== problems) return;
    }
    this.notebooks.add(uri);
    // Edited since it was saved: the positions are those of the cells as they are now.
    if (notebook.isDirty) return this.checkNotebookCells(notebook);
    this.showCells(notebook, problems);
  }

  private showCells(notebook: vscode.NotebookDocument, problems: readonly Problem[]): void {
    for (const cell of notebook.getCells()) {
      const own = problems.filter((p) => p.cell === cell.index + 1);
      if (own.length === 0) this.collection.delete(cell.document.uri);
      else {
        const lines = linesOf(cell.document.getText());
        this.collection.set(cell.document.uri, own.map((p) => ruleDiagnostic(rangeOf(lines, p), p, this.readme)));
      }
    }
  }

  /** An open notebook checked from its cells as they are (small: on this thread, as one file of `initlens check`). */
  private checkNotebookCells(notebook: vscode.NotebookDocument): void {
    const task = this.tasks.get(notebook.uri.fsPath);
    if (!task) return;
    const json = notebookJson(notebook);
    // Bounded as a notebook on disk is (notebookBytes; its code then by documentLength).
    const outcome = processFile(task, {
      readFile: (file, limit) => {
        if (Buffer.byteLength(json) > limit) throw tooLarge(file);
        return json;
      },
    });
    this.showCells(notebook, outcome.problems);
  }

  private scheduleNotebook(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    clearTimeout(this.notebookTimers.get(key));
    this.notebookTimers.set(key, setTimeout(() => {
      this.notebookTimers.delete(key);
      if (!notebook.isClosed) this.checkNotebookCells(notebook);
    }, UPDATE_MS));
  }

  private openedNotebook(notebook: vscode.NotebookDocument): void {
    if (!this.active || this.notebooks.has(notebook.uri) || !this.tasks.get(notebook.uri.fsPath)?.notebook) return;
    this.notebooks.add(notebook.uri);
    this.checkNotebookCells(notebook);
  }

  private closedNotebook(notebook: vscode.NotebookDocument): void {
    if (!this.notebooks.has(notebook.uri)) return;
    for (const cell of notebook.getCells()) this.collection.delete(cell.document.uri);
    this.notebooks.delete(notebook.uri);
    // Its edits may have been dropped: the file on disk decides again.
    if (this.tasks.has(notebook.uri.fsPath)) this.schedule(notebook.uri);
  }

  /** A file changed (or, without one, the configuration): checked again after {@link UPDATE_MS}. */
  private schedule(uri?: vscode.Uri): void {
    if (!this.active) return;
    if (uri) this.pending.add(uri.fsPath);
    else this.full = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const abort = new AbortController();
      void this.enqueue(() => this.update(abort), abort);
    }, UPDATE_MS);
  }

  /** Walks again and checks the changed files, those they may build classes of, and new ones; the whole walk after a configuration change. */
  private async update(abort: AbortController): Promise<void> {
    const changed = [...this.pending];
    const full = this.full;
    this.pending.clear();
    this.full = false;
    const walked = await this.walkAll();
    const now = new Map(walked.all.map((t) => [t.path, t]));
    for (const [file, task] of this.tasks) if (!now.has(file)) this.forget(file, task);
    const todo = new Set<string>(full ? now.keys() : []);
    for (const file of now.keys()) if (!this.tasks.has(file)) todo.add(file);
    for (const file of changed) {
      if (now.has(file)) todo.add(file);
      if (!file.endsWith('.py')) continue;
      let text: string;
      try {
        text = await diskText(file);
      } catch {
        continue;
      }
      // A file that names another's module may build its classes (`Block(-3)`): that one's numbers change with it.
      for (const task of now.values()) if (!task.notebook && task.path !== file && mentions(text, posixPath(task.path))) todo.add(task.path);
    }
    this.tasks = now;
    await this.check([...todo].map((file) => now.get(file)!), abort);
  }

  /** A file no longer walked (deleted, excluded): its problems go. */
  private forget(file: string, task: FileTask): void {
    this.problems.delete(file);
    const uri = vscode.Uri.file(file);
    if (!task.notebook) return this.collection.delete(uri);
    const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.uri.toString() === uri.toString());
    notebook?.getCells().forEach((cell) => this.collection.delete(cell.document.uri));
    this.notebooks.delete(uri);
  }

  dispose(): void {
    this.running?.abort();
    clearTimeout(this.timer);
    this.notebookTimers.forEach((t) => clearTimeout(t));
    this.disposables.forEach((d) => d.dispose());
  }
}

export function registerCheckWorkspace(projects: ProjectConfigs, notebooks: CheckedNotebooks, extensionUri: vscode.Uri): vscode.Disposable {
  return new WorkspaceCheck(projects, notebooks, extensionUri);
}
