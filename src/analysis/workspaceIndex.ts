/**
 * The other Python files of the workspace, for the document analysis: which of
 * them import a document, and their constructions of its classes
 * (`model = ViT(dim=1024)` in `train.py` for `class ViT` in `vit.py`), as the
 * `external` contexts of its module tree.
 *
 * Lazy and bounded: the workspace's Python files (`findFiles`, honouring
 * `files.exclude`; at most `LIMITS.workspaceFiles`, each up to
 * `LIMITS.workspaceFileBytes`) are read for their import lines when the first
 * document is analyzed; a document's importers are then looked up in memory,
 * and only they are parsed whole, once per version (open documents: their
 * editor text and version; other files: their modification time). So are the
 * workspace files an importer imports (at most `LIMITS.importers`), whose module
 * classes it may build as instances and pass on (`MAE(encoder=v)` after
 * `v = ViT(...)`): their versions are part of the sites' cache key, so an edit
 * of `vit.py` recomputes the sites `mae.py` gets from `train.py`. One watcher
 * on `**\/*.py` and the editor's own change events keep the index current;
 * when a document's sites change, {@link WorkspaceIndex.onDidChange} names it.
 * It only reads text, so it works in untrusted and virtual workspaces alike.
 */
import * as vscode from 'vscode';
import { LIMITS } from '../core/limits';
import type { ExternalSite } from '../core/model/analyze';
import type { InstanceFiles } from '../core/model/instances';
import { parsePython, type Tree } from '../core/python/parse';
import { excludeGlob, inSkippedFolder } from '../core/workspace/exclude';
import { documentSignatures, externalSites, signaturesKey } from '../core/workspace/externalSites';
import { ImportIndex } from '../core/workspace/index';
import type { ClassSignature } from '../core/model/tree';
import { importCandidates, relativeTo } from '../core/workspace/modules';

/** Quiet time after the last file event before the tracked documents' sites are recomputed. */
const REFRESH_DEBOUNCE_MS = 300;
/** Importer versions whose sites are kept (older signatures' sites pile up while a constructor is edited). */
const SITES_CACHED = 1_000;
/** Files read at once while indexing. */
const PARALLEL_READS = 16;

interface Target {
  readonly document: vscode.TextDocument;
  /** The document's latest signatures (from its latest analysis). */
  signatures: ReadonlyMap<string, ClassSignature>;
  sigKey: string;
  /** What {@link sites} holds: the signatures and index generation it was computed with. */
  computed?: { readonly sigKey: string; readonly generation: number };
  sites: readonly ExternalSite[];
  /** The workspace files the document itself imports, for its module-level instances ({@link WorkspaceIndex.files}), and their versions. */
  imported?: ReadonlyMap<string, { readonly text: string; readonly key: string }>;
  importedKey?: string;
  /** Computing; `again` when asked once more meanwhile. */
  running: boolean;
  again: boolean;
}

export class WorkspaceIndex implements vscode.Disposable {
  private index = new ImportIndex([]);
  private readonly uris = new Map<string, vscode.Uri>();
  private listing: Promise<void> | undefined;
  /** Updates of the index run one after the other. */
  private updating: Promise<void> = Promise.resolve();
  /** Paths changed on disk or in an editor since they were indexed. */
  private readonly dirty = new Set<string>();
  private generation = 0;
  private readonly targets = new Map<string, Target>();
  /** Texts of importers that are not open, read once per change on disk. */
  private readonly importerTexts = new Map<string, { text: string; key: string }>();
  /** Sites per importer version, target and signatures. */
  private readonly sitesCache = new Map<string, readonly ExternalSite[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changed = new vscode.EventEmitter<vscode.TextDocument>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private disposed = false;

  /** A document's constructions in other files changed: analyze it again. */
  readonly onDidChange: vscode.Event<vscode.TextDocument> = this.changed.event;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
    this.disposables.push(watcher);
    watcher.onDidCreate((uri) => this.touched(uri), this, this.disposables);
    watcher.onDidChange((uri) => this.touched(uri), this, this.disposables);
    watcher.onDidDelete((uri) => this.touched(uri, true), this, this.disposables);
    vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length > 0 && this.touched(e.document.uri), this, this.disposables);
    // Closing a modified document gives the file on disk back.
    vscode.workspace.onDidCloseTextDocument(
      (d) => {
        this.targets.delete(d.uri.toString());
        this.touched(d.uri);
      },
      this,
      this.disposables,
    );
    vscode.workspace.onDidChangeWorkspaceFolders(() => this.reset(), this, this.disposables);
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('files.exclude') && this.reset(), this, this.disposables);
  }

  /**
   * The constructions of the document's classes in other workspace files, as
   * known now. When they may be out of date (first use, other signatures, a
   * file changed) they are recomputed in the background, and
   * {@link onDidChange} fires if they differ.
   */
  sites(document: vscode.TextDocument, tree: Tree, text: string): readonly ExternalSite[] {
    if (this.disposed || !vscode.workspace.getWorkspaceFolder(document.uri)) return [];
    const signatures = documentSignatures(tree, text);
    const key = document.uri.toString();
    if (signatures.size === 0) {
      this.targets.delete(key);
      return [];
    }
    const sigKey = signaturesKey(signatures);
    let target = this.targets.get(key);
    if (!target || target.document !== document) {
      target = { document, signatures, sigKey, sites: [], running: false, again: false };
      this.targets.set(key, target);
    }
    target.signatures = signatures;
    target.sigKey = sigKey;
    if (target.computed?.sigKey !== sigKey || target.computed.generation !== this.generation) void this.refresh(target);
    // Sites bound to other signatures would give the wrong parameters.
    return target.computed?.sigKey === sigKey ? target.sites : [];
  }

  private async refresh(target: Target): Promise<void> {
    if (target.running) {
      target.again = true;
      return;
    }
    target.running = true;
    try {
      // One failed update must not stop the next ones.
      await (this.updating = this.updating.catch(() => undefined).then(() => this.update()));
      const { document, signatures, sigKey } = target;
      const generation = this.generation;
      const path = document.uri.path;
      const sites: ExternalSite[] = [];
      const classes = new Set(signatures.keys());
      const via = this.index.reexportersOf(path, classes);
      // Sites read through a package depend on the package's version too.
      const viaKey = via.map((r) => [r.path, r.key]);
      for (const importer of this.index.importersOf(path, classes, via)) {
        const uri = this.uris.get(importer);
        const read = uri && (await this.importerText(uri));
        if (!read) continue;
        // The files it imports, whose classes it may build as instances and pass on (`MAE(encoder=ViT(...))`):
        // the sites depend on their versions too, so a change there recomputes them.
        const imported = await this.importedBy(importer);
        const cacheKey = JSON.stringify([uri.toString(), read.key, path, sigKey, viaKey, [...imported].map(([p, t]) => [p, t.key])]);
        let found = this.sitesCache.get(cacheKey);
        if (!found) {
          found = externalSites(path, signatures, { path: importer, text: read.text, tree: parsePython(read.text) }, this.index.roots, via, (p) => imported.get(p)?.text);
          if (this.sitesCache.size >= SITES_CACHED) this.sitesCache.clear();
          this.sitesCache.set(cacheKey, found);
        }
        sites.push(...found);
      }
      // The files the document imports, for the instances its own module-level code builds and passes on.
      const imported = await this.importedBy(path);
      const importedKey = JSON.stringify([...imported].map(([p, t]) => [p, t.key]));
      const before = target.computed?.sigKey === sigKey ? JSON.stringify(target.sites) : '[]';
      const importedBefore = target.importedKey ?? '[]';
      target.sites = sites;
      target.imported = imported;
      target.importedKey = importedKey;
      target.computed = { sigKey, generation };
      if (!this.disposed && !document.isClosed && (JSON.stringify(sites) !== before || importedKey !== importedBefore)) this.changed.fire(document);
    } catch (error) {
      // The analysis goes on without other files' contexts; the log says why.
      console.error(`InitLens: reading the workspace's files failed: ${error instanceof Error ? error.message : String(error)}`);
      target.computed = { sigKey: target.sigKey, generation: this.generation };
    } finally {
      target.running = false;
      if (target.again && !this.disposed) {
        target.again = false;
        void this.refresh(target);
      }
    }
  }

  /**
   * The document's module-level instances of classes it imports from the workspace's files
   * (`enc = Encoder(64)`, then `model = Head(enc)`): those files as known now (read in the
   * background by {@link sites}; {@link onDidChange} names the document when they change).
   */
  files(document: vscode.TextDocument): InstanceFiles | undefined {
    const target = this.targets.get(document.uri.toString());
    const imported = target?.document === document ? target.imported : undefined;
    if (!imported || imported.size === 0) return undefined;
    return { path: document.uri.path, roots: this.index.roots, read: (p) => imported.get(p)?.text };
  }

  /** The indexed files `path`'s imports may name, read (at most {@link LIMITS.importers}). */
  private async importedBy(path: string): Promise<Map<string, { text: string; key: string }>> {
    const out = new Map<string, { text: string; key: string }>();
    for (const p of importCandidates(path, this.index.importsOf(path), this.index.roots)) {
      const uri = this.uris.get(p);
      if (!uri || out.size >= LIMITS.importers.value) continue;
      const text = await this.importerText(uri);
      if (text) out.set(p, text);
    }
    return out;
  }

  /** The index, listed once and with every changed file read again. */
  private async update(): Promise<void> {
    this.listing ??= this.list();
    await this.listing;
    const paths = [...this.dirty];
    this.dirty.clear();
    await this.each(paths, async (path) => {
      const uri = this.uris.get(path);
      const read = uri && (await this.text(uri));
      if (read) this.index.set(path, read.key, read.text);
      else {
        this.index.delete(path);
        this.uris.delete(path);
      }
    });
  }

  private async list(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    this.index = new ImportIndex(folders.map((f) => f.uri.path));
    const exclude = excludeGlob(vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {});
    let found: vscode.Uri[] = [];
    try {
      found = await vscode.workspace.findFiles('**/*.py', exclude, LIMITS.workspaceFiles.value);
    } catch {
      // A file system without search (some virtual workspaces): open documents only.
      found = vscode.workspace.textDocuments.filter((d) => d.languageId === 'python' && vscode.workspace.getWorkspaceFolder(d.uri)).map((d) => d.uri);
    }
    found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const uri of found) this.uris.set(uri.path, uri);
    await this.each(found.map((u) => u.path), async (path) => {
      const read = await this.text(this.uris.get(path) as vscode.Uri);
      if (read) this.index.set(path, read.key, read.text);
    });
  }

  /** Runs `work` on every item, {@link PARALLEL_READS} at a time. */
  private async each(items: readonly string[], work: (item: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await work(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, items.length) }, worker));
  }

  /**
   * An importer's text, kept until the watcher or an editor says it changed:
   * a keystroke's refresh reads no file again.
   */
  private async importerText(uri: vscode.Uri): Promise<{ text: string; key: string } | undefined> {
    const kept = this.importerTexts.get(uri.path);
    if (kept) return kept;
    const read = await this.text(uri);
    if (read && !read.key.startsWith('v')) {
      if (this.importerTexts.size >= LIMITS.importers.value) this.importerTexts.clear();
      this.importerTexts.set(uri.path, read);
    }
    return read;
  }

  /** A file's text and version key: an open document's editor text, else the file's (within the size limit). */
  private async text(uri: vscode.Uri): Promise<{ text: string; key: string } | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return { text: open.getText(), key: `v${open.version}` };
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > LIMITS.workspaceFileBytes.value || (stat.type & vscode.FileType.File) === 0) return undefined;
      const bytes = await vscode.workspace.fs.readFile(uri);
      return { text: new TextDecoder('utf-8').decode(bytes), key: `m${stat.mtime}:${stat.size}` };
    } catch {
      return undefined;
    }
  }

  /** A Python file was created, changed (on disk or in an editor) or deleted. */
  private touched(uri: vscode.Uri, deleted = false): void {
    if (!uri.path.endsWith('.py')) return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const rel = folder ? relativeTo(uri.path, folder.uri.path) : undefined;
    if (rel === undefined || inSkippedFolder(rel)) return;
    this.sitesCacheFor(uri);
    this.importerTexts.delete(uri.path);
    if (deleted) {
      this.index.delete(uri.path);
      this.uris.delete(uri.path);
    } else {
      this.uris.set(uri.path, uri);
      this.dirty.add(uri.path);
    }
    this.generation++;
    this.schedule();
  }

  /** Drops the cached sites of an importer's older versions. */
  private sitesCacheFor(uri: vscode.Uri): void {
    const prefix = JSON.stringify([uri.toString()]).slice(0, -1);
    for (const k of this.sitesCache.keys()) if (k.startsWith(prefix)) this.sitesCache.delete(k);
  }

  /** Recomputes every tracked document's sites after a quiet moment. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const target of this.targets.values()) void this.refresh(target);
    }, REFRESH_DEBOUNCE_MS);
  }

  private reset(): void {
    this.listing = undefined;
    this.uris.clear();
    this.dirty.clear();
    this.sitesCache.clear();
    this.importerTexts.clear();
    this.generation++;
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.targets.clear();
    this.sitesCache.clear();
  }
}
