/**
 * Inline suppressions, read the same way by the editor's diagnostics and by
 * `initlens check`: a comment `# initlens: ignore[IL101, IL105]` silences
 * those codes (or names, `seed-missing`) for a finding that starts or ends on
 * its line; `# initlens: ignore` with no list silences every rule there;
 * `# initlens: ignore-file` anywhere silences the whole file. Only real
 * comments count (the parse tree's `Comment` nodes), not text in strings.
 */
import { ruleOfCode } from './codes';
import type { Finding, RuleId } from './rules';
import type { Tree } from '../python/parse';

export interface Suppressions {
  /** `# initlens: ignore-file` seen. */
  readonly file: boolean;
  /** 0-based line → the rules ignored there (`'all'`: a bare `ignore`). */
  readonly lines: ReadonlyMap<number, ReadonlySet<RuleId> | 'all'>;
  /** Codes in an `ignore[...]` list that name no rule, with their 0-based line: reported, never guessed at. */
  readonly unknown: readonly { readonly line: number; readonly code: string }[];
}

const DIRECTIVE = /#\s*initlens:\s*ignore(-file\b|\[([^\]\n]*)\]|(?![\w-]))/gi;

/** Line starts of `text` (a break is `\r\n`, `\n` or a lone `\r`). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue;
    if (c === 10 || c === 13) starts.push(i + 1);
  }
  return starts;
}

/** The 0-based line holding `offset`, by binary search over {@link lineStarts}. */
export function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The suppression comments of a document. */
export function suppressionsOf(tree: Tree, text: string, starts: readonly number[] = lineStarts(text)): Suppressions {
  const lines = new Map<number, Set<RuleId> | 'all'>();
  const unknown: { line: number; code: string }[] = [];
  let file = false;
  // Most files have none: skip the tree walk.
  if (!/initlens:/i.test(text)) return { file, lines, unknown };
  tree.iterate({
    enter(ref) {
      if (ref.name !== 'Comment') return undefined;
      const comment = text.slice(ref.from, ref.to);
      const line = lineAt(starts, ref.from);
      for (const m of comment.matchAll(DIRECTIVE)) {
        if (m[1].toLowerCase() === '-file') {
          file = true;
          continue;
        }
        if (m[2] === undefined) {
          lines.set(line, 'all');
          continue;
        }
        const previous = lines.get(line);
        if (previous === 'all') continue;
        const set = previous ?? new Set<RuleId>();
        for (const raw of m[2].split(',')) {
          const code = raw.trim();
          if (code === '') continue;
          const rule = ruleOfCode(code);
          if (rule) set.add(rule);
          else unknown.push({ line, code });
        }
        lines.set(line, set);
      }
      return false;
    },
  });
  return { file, lines, unknown };
}

/** Whether a rule is silenced on a 0-based line. */
export function suppressedOn(s: Suppressions, line: number, rule: RuleId): boolean {
  if (s.file) return true;
  const on = s.lines.get(line);
  return on === 'all' || (on !== undefined && on.has(rule));
}

/** The findings no suppression comment silences (on the line where a finding starts or ends). */
export function unsuppressed<F extends Pick<Finding, 'rule' | 'from' | 'to'>>(findings: readonly F[], tree: Tree, text: string): F[] {
  if (findings.length === 0) return [];
  const starts = lineStarts(text);
  const s = suppressionsOf(tree, text, starts);
  if (s.file) return [];
  if (s.lines.size === 0) return [...findings];
  return findings.filter((f) => !suppressedOn(s, lineAt(starts, f.from), f.rule) && !suppressedOn(s, lineAt(starts, Math.max(f.from, f.to - 1)), f.rule));
}
