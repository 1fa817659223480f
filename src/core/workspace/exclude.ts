/**
 * Which folders of a workspace are never scanned for Python files:
 * environments, caches, dependencies and hidden folders (`.venv`, `.git`,
 * `node_modules`, `site-packages`), in the CLI's walk and the extension's file
 * search alike; the extension adds the user's `files.exclude`.
 */

/** Folder names skipped wherever they are (hidden folders, `.…`, too). */
export const SKIPPED_FOLDERS: readonly string[] = ['node_modules', 'venv', '__pycache__', 'site-packages'];

/** Whether a folder of this name is skipped. */
export function skippedFolder(name: string): boolean {
  return name.startsWith('.') || SKIPPED_FOLDERS.includes(name);
}

/** Whether a `/` path (relative to its root) lies in a skipped folder. */
export function inSkippedFolder(relativePath: string): boolean {
  const parts = relativePath.split('/');
  return parts.slice(0, -1).some(skippedFolder);
}

const MAX_PATTERNS = 256;

/** `a{b,c{d,e}}` → `ab`, `acd`, `ace` (at most {@link MAX_PATTERNS}). */
export function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) {
      close = i;
      break;
    } else if (glob[i] === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [glob];
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length && out.length < MAX_PATTERNS; k++) {
    const alternative = glob.slice(0, open) + glob.slice(bounds[k] + 1, bounds[k + 1]) + glob.slice(close + 1);
    for (const e of expandBraces(alternative)) if (out.length < MAX_PATTERNS) out.push(e);
  }
  return out;
}

/**
 * One exclude glob for a file search: the skipped folders and the user's
 * `files.exclude` patterns set to `true` (conditional ones, `{ "when": … }`,
 * are left out). A search given an exclude pattern no longer applies
 * `files.exclude` by itself, hence the merge; braces inside a pattern are
 * expanded so the result is one flat `{…,…}` group.
 */
export function excludeGlob(filesExclude: Readonly<Record<string, unknown>> = {}): string {
  const patterns = ['**/.*/**', ...SKIPPED_FOLDERS.map((f) => `**/${f}/**`)];
  for (const [glob, on] of Object.entries(filesExclude)) {
    if (on !== true) continue;
    for (const p of expandBraces(glob)) {
      if (patterns.length >= MAX_PATTERNS) break;
      // A folder pattern excludes what is inside it.
      patterns.push(p, ...(p.endsWith('/**') ? [] : [`${p}/**`]));
    }
  }
  return `{${[...new Set(patterns)].join(',')}}`;
}
