/**
 * Where `initlens check` finds its configuration: the nearest
 * `pyproject.toml` with a `[tool.initlens]` table at or above each checked
 * PATH (a file's own folder for a file), as ruff looks for `[tool.ruff]`;
 * files without the table are passed over. Parsing and validation are
 * core/diagnostics/config.ts.
 */
import * as path from 'node:path';
import { ConfigError, parseCheckConfig, type CheckConfig } from '../core/diagnostics/config';
import { LIMITS } from '../core/limits';
import type { TreeAccess } from './checkWalk';

/** A configuration and the folder its patterns are relative to. */
export interface FoundConfig {
  readonly file: string;
  readonly base: string;
  readonly config: CheckConfig;
}

/** Finds configurations, reading each folder's `pyproject.toml` once per run. */
export class ConfigFinder {
  private readonly byDir = new Map<string, FoundConfig | undefined>();

  constructor(
    private readonly tree: TreeAccess,
    private readonly readText: (p: string, limit: number) => string,
  ) {}

  /** The configuration of a checked PATH; throws {@link ConfigError}. */
  of(target: string): FoundConfig | undefined {
    let start = path.resolve(target);
    try {
      if (this.tree.kind(start) !== 'folder') start = path.dirname(start);
    } catch {
      start = path.dirname(start);
    }
    return this.at(start);
  }

  private at(dir: string): FoundConfig | undefined {
    if (this.byDir.has(dir)) return this.byDir.get(dir);
    const file = path.join(dir, 'pyproject.toml');
    let found: FoundConfig | undefined;
    let text: string | undefined;
    try {
      if (this.tree.kind(file) === 'file') text = this.readText(file, LIMITS.configBytes.value);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new ConfigError(`${file}: cannot read (${code ?? (error instanceof Error ? error.message : String(error))})`);
    }
    const config = text === undefined ? undefined : parseCheckConfig(text, file);
    if (config) found = { file, base: dir, config };
    else if (path.dirname(dir) !== dir) found = this.at(path.dirname(dir));
    this.byDir.set(dir, found);
    return found;
  }
}
