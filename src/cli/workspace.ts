/**
 * The other files of an analyzed file's project, for the CLI: the files that
 * import it, their constructions of its classes bound to their arguments
 * ({@link externalSites}), as `external` contexts of its analysis. One scan of
 * the project per command, however many of its files are analyzed.
 */
import { LIMITS } from '../core/limits';
import type { ExternalSite } from '../core/model/analyze';
import type { InstanceFiles } from '../core/model/instances';
import { parsePython, type Tree } from '../core/python/parse';
import { documentSignatures, externalSites } from '../core/workspace/externalSites';
import { importsOfText, mentions } from '../core/workspace/index';
import { importsAnything, reexportersOf, targetImports, type PythonImport } from '../core/workspace/modules';
import type { CliIo } from './run';

/** A file's project as {@link CliIo.project} lists it: `/`-separated absolute paths. */
export interface Project {
  readonly root: string;
  /** The analyzed file's own path in the same form. */
  readonly file: string;
  readonly files: readonly string[];
}

/** Characters of project files kept between the analyzed files of one command (beyond them, files are read again). */
const KEPT_CHARS = 2 ** 25;

/** The importers' constructions of each analyzed file's classes; project files are read once per command where they fit in memory. */
export class ProjectScan {
  private readonly texts = new Map<string, string | undefined>();
  private readonly imports = new Map<string, readonly PythonImport[]>();
  private kept = 0;

  private readonly projects = new Map<string, Project | undefined>();

  constructor(private readonly io: CliIo) {}

  /** `file`'s project, listed once per command (undefined: none, or unlistable: the file is analyzed on its own). */
  private projectOf(file: string): Project | undefined {
    if (file === '-' || !this.io.project) return undefined;
    if (!this.projects.has(file)) {
      let project: Project | undefined;
      try {
        project = this.io.project(file);
      } catch {
        project = undefined;
      }
      this.projects.set(file, project);
    }
    return this.projects.get(file);
  }

  /** The project's files as the analysis of `file` reads them for module-level instances of classes it imports (`enc = Encoder(64)`, `Head(enc)`). */
  files(file: string): InstanceFiles | undefined {
    const project = this.projectOf(file);
    if (!project) return undefined;
    const inProject = new Set([...project.files, project.file]);
    return { path: project.file, roots: [project.root], read: (path) => (inProject.has(path) && path !== project.file ? this.read(path) : undefined) };
  }

  /** The constructions of `file`'s classes in the other files of its project; none for stdin or without {@link CliIo.project}. */
  sites(file: string, tree: Tree, text: string): ExternalSite[] {
    if (file === '-' || !this.io.project) return [];
    const signatures = documentSignatures(tree, text);
    if (signatures.size === 0) return [];
    const project = this.projectOf(file);
    if (!project) return [];
    const classes = new Set(signatures.keys());
    const roots = [project.root];
    const packages = project.files.filter((path) => path.endsWith('/__init__.py') && path !== project.file);
    const via = reexportersOf(
      packages.flatMap((path) => {
        const imports = this.importsOf(path, project.file);
        return imports ? [{ path, imports }] : [];
      }),
      project.file,
      classes,
      roots,
    ).slice(0, LIMITS.importers.value);
    const out: ExternalSite[] = [];
    let importers = 0;
    // The files an importer imports, for the instances it builds and passes on (`MAE(encoder=ViT(...))`).
    const inProject = new Set([...project.files, project.file]);
    const read = (path: string) => (inProject.has(path) ? this.read(path) : undefined);
    for (const path of project.files) {
      if (path === project.file) continue;
      // Only a file that names the module, or a package re-exporting it, can import it.
      const imports = this.importsOf(path, project.file) ?? via.reduce<readonly PythonImport[] | undefined>((found, r) => found ?? this.importsOf(path, r.path), undefined);
      if (!imports || !importsAnything(targetImports(path, imports, project.file, classes, roots, via))) continue;
      const other = this.read(path);
      if (other === undefined) continue;
      out.push(...externalSites(project.file, signatures, { path, text: other, tree: parsePython(other) }, roots, via, read));
      if (++importers >= LIMITS.importers.value) break;
    }
    return out;
  }

  /** A project file's import statements, when its text names `target`'s module (a cheap test before parsing them). */
  private importsOf(path: string, target: string): readonly PythonImport[] | undefined {
    const text = this.read(path);
    if (text === undefined || !mentions(text, target)) return undefined;
    let imports = this.imports.get(path);
    if (!imports) this.imports.set(path, (imports = importsOfText(text)));
    return imports;
  }

  private read(path: string): string | undefined {
    if (this.texts.has(path)) return this.texts.get(path);
    let text: string | undefined;
    try {
      text = this.io.readFile(path, LIMITS.workspaceFileBytes.value);
    } catch {
      // Unreadable or above the limit: not an input the user named, so no error.
      text = undefined;
    }
    if (this.kept + (text?.length ?? 0) <= KEPT_CHARS) {
      this.texts.set(path, text);
      this.kept += text?.length ?? 0;
    }
    return text;
  }
}
