/**
 * `initlens check --fix`: the rules' own quick-fix text plans applied to a
 * file, one at a time, each followed by a fresh analysis of the new text (a
 * fix moves the offsets of the others, and may make another unnecessary, as
 * inserting `seed_everything` does for the DataLoader's worker seeding). The
 * loop ends when nothing fixable is left, so a second run finds nothing to
 * fix. A fix whose result does not parse is not applied, and a text with a
 * syntax error is never fixed. Bounded by `fixesPerFile`.
 *
 * Only the reproducibility fixes (IL1xx) run unattended: the init fixes
 * (IL002, IL003) change what a model learns and stay quick fixes for a person
 * to review, until the advice issue marks one safe.
 */
import { LIMITS } from '../limits';
import { applyTextEdits } from '../edits/apply';
import { ModelAnalyzer } from '../model/analyze';
import { parsePython, syntaxErrors } from '../python/parse';
import { analyzeSeeding } from '../seeding/analyze';
import { RULE_CODES } from './codes';
import { checkDocument, type RuleId } from './rules';
import { unsuppressed } from './suppress';
import type { CheckOptions } from './check';

/** The rules whose fixes `--fix` applies. */
export const AUTO_FIXABLE: ReadonlySet<RuleId> = new Set<RuleId>(['seedMissing', 'seedAfterConstruction', 'cudaManualSeed', 'pythonHashSeed', 'unseededDefaultRng', 'dataLoaderWorkers']);

export interface FixResult {
  readonly text: string;
  /** The fixes applied, in order. */
  readonly applied: readonly { readonly code: string; readonly title: string }[];
  /** Why fixing stopped early (a fix that would not parse, the limit), when it did. */
  readonly stopped?: string;
}

/** Applies the fixable findings' fixes to a Python text; the text is unchanged when it has a syntax error. */
export function fixPython(text: string, options: CheckOptions): FixResult {
  const applied: { code: string; title: string }[] = [];
  const tried = new Set<string>();
  let current = text;
  for (;;) {
    const tree = parsePython(current);
    if (syntaxErrors(tree, current).length > 0) return { text: current, applied, ...(applied.length === 0 ? { stopped: 'a syntax error' } : {}) };
    const findings = unsuppressed(checkDocument({ text: current, tree, seeding: analyzeSeeding(tree, current), models: new ModelAnalyzer().analyze(tree, current) }, options, options.enabled), tree, current);
    const next = findings.find((f) => f.fix && f.fix.edits.length > 0 && AUTO_FIXABLE.has(f.rule) && !tried.has(`${f.rule}\u0000${f.fix.title}\u0000${f.message}`));
    if (!next?.fix) return { text: current, applied };
    if (applied.length >= LIMITS.fixesPerFile.value) return { text: current, applied, stopped: `the limit of ${LIMITS.fixesPerFile.value} fixes for one file` };
    // The same finding again after its own fix would loop: each is tried once.
    tried.add(`${next.rule}\u0000${next.fix.title}\u0000${next.message}`);
    const fixed = applyTextEdits(current, next.fix.edits);
    if (syntaxErrors(parsePython(fixed), fixed).length > 0) return { text: current, applied, stopped: `the fix '${next.fix.title}' (${RULE_CODES[next.rule].code}) would not parse; not applied` };
    if (fixed === current) continue;
    applied.push({ code: RULE_CODES[next.rule].code, title: next.fix.title });
    current = fixed;
  }
}
