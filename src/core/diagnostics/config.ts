/**
 * `[tool.initlens]` of a `pyproject.toml`, read for `initlens check` (parsed
 * with smol-toml, a TOML 1.0 parser, never by hand) and validated strictly:
 * an unknown key, a wrong type or a code that names no rule is a
 * {@link ConfigError} in one line, which the CLI answers with exit 2, as
 * ruff does. Keys:
 *
 * - `select`, `ignore`: rule codes (`IL101`), names (`seed-missing`) or code
 *   prefixes (`IL1`); the rules run are `select` (default all) less `ignore`;
 * - `exclude`: gitignore-style patterns, relative to the file's folder, of
 *   paths the walk skips;
 * - `per-file-ignores`: pattern → codes not reported in the files it matches;
 * - `seed.default`: the seed the quick fixes write (0 to 2^32 − 1, as the
 *   `initlens.seed.default` setting);
 * - `advice.level` (`problems` | `suggestions`) and `advice.disable` (advice
 *   rule names), as the `initlens.advice.*` settings.
 */
import ignore from 'ignore';
import { parse, TomlError } from 'smol-toml';
import { MAX_SEED_EVERYTHING } from '../seeds';
import { rulesOfSelector } from './codes';
import { ADVICE_LEVELS, ADVICE_RULES, type AdviceOptions, type AdviceRule } from '../advice/rules';
import { RULES, type RuleId } from './rules';

export interface CheckConfig {
  /** The rules that run where no per-file ignore applies. */
  readonly rules: ReadonlySet<RuleId>;
  readonly exclude: readonly string[];
  readonly perFileIgnores: readonly { readonly pattern: string; readonly rules: ReadonlySet<RuleId> }[];
  readonly seed?: number;
  readonly advice?: AdviceOptions;
}

/** A configuration that cannot be used: one line, exit 2. */
export class ConfigError extends Error {}

export const DEFAULT_CONFIG: CheckConfig = { rules: new Set(RULES), exclude: [], perFileIgnores: [] };

const KEYS = ['select', 'ignore', 'exclude', 'per-file-ignores', 'seed', 'advice'] as const;

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function strings(where: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ConfigError(`${where} must be an array of strings`);
  return value as string[];
}

/** The rules of a list of selectors; each must pick at least one rule. */
export function selectRules(where: string, selectors: readonly string[]): Set<RuleId> {
  const out = new Set<RuleId>();
  for (const s of selectors) {
    const rules = rulesOfSelector(s.trim());
    if (!rules) throw new ConfigError(`${where}: '${s}' is no rule code (IL001...), name or code prefix`);
    rules.forEach((r) => out.add(r));
  }
  return out;
}

/**
 * The `[tool.initlens]` table of a `pyproject.toml`'s text; undefined when it
 * has none (the search goes on upwards). `file` names the file in messages.
 */
export function parseCheckConfig(text: string, file: string): CheckConfig | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) throw new ConfigError(`${file}:${error.line}:${error.column}: invalid TOML (${error.message.split('\n')[0].replace(/^Invalid TOML document: /, '')})`);
    throw error;
  }
  const tool = doc.tool;
  if (!isTable(tool) || !('initlens' in tool)) return undefined;
  const section = tool.initlens;
  const where = (key: string) => `${file}: [tool.initlens] ${key}`;
  if (!isTable(section)) throw new ConfigError(`${file}: tool.initlens must be a table`);
  for (const key of Object.keys(section)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`${where(key)}: unknown key (known: ${KEYS.join(', ')})`);
  }
  const selected = section.select === undefined ? new Set(RULES) : selectRules(where('select'), strings(where('select'), section.select));
  const ignored = section.ignore === undefined ? new Set<RuleId>() : selectRules(where('ignore'), strings(where('ignore'), section.ignore));
  const exclude = section.exclude === undefined ? [] : strings(where('exclude'), section.exclude);
  const perFile: { pattern: string; rules: Set<RuleId> }[] = [];
  const pfi = section['per-file-ignores'];
  if (pfi !== undefined) {
    if (!isTable(pfi)) throw new ConfigError(`${where('per-file-ignores')} must be a table of pattern = [codes]`);
    for (const [pattern, codes] of Object.entries(pfi)) {
      const w = where(`per-file-ignores."${pattern}"`);
      perFile.push({ pattern, rules: selectRules(w, strings(w, codes)) });
    }
  }
  let seed: number | undefined;
  const seedTable = section.seed;
  if (seedTable !== undefined) {
    if (!isTable(seedTable)) throw new ConfigError(`${where('seed')} must be a table (seed.default = 42)`);
    for (const key of Object.keys(seedTable)) if (key !== 'default') throw new ConfigError(`${where(`seed.${key}`)}: unknown key (known: default)`);
    const value = seedTable.default;
    if (value !== undefined) {
      // smol-toml gives TOML integers as numbers (bigint only above 2^53, far beyond the range).
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SEED_EVERYTHING) {
        throw new ConfigError(`${where('seed.default')} must be an integer from 0 to ${MAX_SEED_EVERYTHING}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
      }
      seed = value;
    }
  }
  const advice = section.advice === undefined ? undefined : adviceOptions(where('advice'), section.advice);
  return { rules: new Set([...selected].filter((r) => !ignored.has(r))), exclude, perFileIgnores: perFile, ...(seed !== undefined ? { seed } : {}), ...(advice ? { advice } : {}) };
}

/** `advice.level = "suggestions"`, `advice.disable = ["output"]`, `advice.width-scaling = true`. */
function adviceOptions(where: string, table: unknown): AdviceOptions {
  if (!isTable(table)) throw new ConfigError(`${where} must be a table (advice.level = "suggestions")`);
  for (const key of Object.keys(table)) if (key !== 'level' && key !== 'disable' && key !== 'width-scaling') throw new ConfigError(`${where}.${key}: unknown key (known: level, disable, width-scaling)`);
  const widthScaling = table['width-scaling'] ?? false;
  if (typeof widthScaling !== 'boolean') throw new ConfigError(`${where}.width-scaling must be true or false, got ${JSON.stringify(widthScaling)}`);
  const level = table.level ?? 'problems';
  if (typeof level !== 'string' || !(ADVICE_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`${where}.level must be one of ${ADVICE_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  const disable = table.disable === undefined ? [] : strings(`${where}.disable`, table.disable);
  for (const r of disable) if (!(ADVICE_RULES as readonly string[]).includes(r)) throw new ConfigError(`${where}.disable: '${r}' is no advice rule (${ADVICE_RULES.join(', ')})`);
  return { level: level as AdviceOptions['level'], disabled: new Set(disable as AdviceRule[]), ...(widthScaling ? { widthScaling } : {}) };
}

/**
 * The rules `per-file-ignores` turns off for one file: those of every
 * gitignore-style pattern matching `relativePath` (`/`-separated, relative to
 * the configuration's folder; undefined for a file outside it, which no
 * pattern matches).
 */
export function perFileIgnored(config: CheckConfig, relativePath: string | undefined): Set<RuleId> {
  const off = new Set<RuleId>();
  if (relativePath === undefined || relativePath === '' || relativePath.startsWith('../')) return off;
  for (const { pattern, rules } of config.perFileIgnores) {
    if (ignore().add(pattern).ignores(relativePath)) rules.forEach((r) => off.add(r));
  }
  return off;
}

/** The rules a configuration runs on one file (its selection less the file's per-file ignores). */
export function configuredRules(config: CheckConfig, relativePath: string | undefined): Set<RuleId> {
  const off = perFileIgnored(config, relativePath);
  return new Set([...config.rules].filter((r) => !off.has(r)));
}

/**
 * The editor's rules for a document: a rule's `initlens.diagnostics.*`
 * setting decides where it is set explicitly (user, workspace or folder),
 * else the project's `[tool.initlens]` selection, else the setting's default.
 */
export function editorRules(settings: ReadonlySet<RuleId>, explicit: ReadonlySet<RuleId>, project: ReadonlySet<RuleId> | undefined): Set<RuleId> {
  return new Set(RULES.filter((rule) => (explicit.has(rule) || !project ? settings.has(rule) : project.has(rule))));
}
