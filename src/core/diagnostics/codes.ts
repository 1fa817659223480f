/**
 * The stable code of every diagnostic rule: what a problem is called in the
 * editor (`Diagnostic.code`), in `initlens check`'s output, in suppressions
 * (`# initlens: ignore[IL101]`) and in `[tool.initlens]` `select`/`ignore`.
 * Codes never change meaning once published; a retired rule keeps its code
 * unused (IL003 init-activation-mismatch, retired when the advice became one
 * verdict per layer: a scheme-name mismatch with a healthy gain is a note,
 * IL202). IL0xx: initialization; IL1xx: reproducibility (seeding); IL2xx: the
 * advice's verdicts (src/core/advice).
 * The README's "Rule codes" section documents each entry (kept in sync by
 * test/unit/ruleCodes.test.ts).
 */
import type { RuleId } from './rules';

export interface RuleCode {
  /** `IL` and three digits. */
  readonly code: string;
  /** Kebab-case, as in the README heading. */
  readonly name: string;
  /** One line: what the rule flags. */
  readonly description: string;
}

export const RULE_CODES: Readonly<Record<RuleId, RuleCode>> = {
  invalidLayerSize: { code: 'IL001', name: 'invalid-layer-size', description: 'A layer size the library would reject, or one beyond InitLens\'s limits.' },
  symmetricInit: { code: 'IL002', name: 'symmetric-init', description: 'A weight initialized to a constant: every unit gets the same gradient and they stay identical.' },
  signalGain: { code: 'IL201', name: 'signal-gain', description: 'A layer whose variance gain (measured by the signal engine where it runs the model, else analytic), over the layers like it, shrinks or grows the signal or gradient more than 100×.' },
  initNote: { code: 'IL202', name: 'init-note', description: 'A suggestion with a healthy gain (shown only with initlens.advice.level set to suggestions).' },
  seedMissing: { code: 'IL101', name: 'seed-missing', description: 'A file that trains but never seeds its random number generators.' },
  seedAfterConstruction: { code: 'IL102', name: 'seed-after-construction', description: 'The first seed comes after a model, optimizer or DataLoader has already drawn random numbers.' },
  cudaManualSeed: { code: 'IL103', name: 'cuda-manual-seed', description: 'torch.cuda.manual_seed seeds only the current GPU.' },
  pythonHashSeed: { code: 'IL104', name: 'python-hash-seed', description: 'PYTHONHASHSEED set inside the program, where it has no effect.' },
  unseededDefaultRng: { code: 'IL105', name: 'unseeded-default-rng', description: 'np.random.default_rng() without a seed in a file that relies on np.random.seed.' },
  dataLoaderWorkers: { code: 'IL106', name: 'dataloader-workers', description: 'DataLoader workers left unseeded: each copies the NumPy/random state.' },
};

/** The README anchor of a rule's section (GitHub's slug of the heading `IL101 seed-missing`). */
export function ruleAnchor(rule: RuleId): string {
  const { code, name } = RULE_CODES[rule];
  return `${code.toLowerCase()}-${name}`;
}

const BY_KEY: ReadonlyMap<string, RuleId> = new Map(
  (Object.entries(RULE_CODES) as [RuleId, RuleCode][]).flatMap(([rule, c]) => [
    [c.code, rule],
    [c.name, rule],
  ]),
);

/** Codes of retired rules: accepted in selectors (they select nothing), never reused. */
export const RETIRED_CODES: Readonly<Record<string, string>> = { IL003: 'init-activation-mismatch' };

/** The rule a code (`IL101`) or a name (`seed-missing`) stands for; undefined for anything else. */
export function ruleOfCode(key: string): RuleId | undefined {
  return BY_KEY.get(/^il\d{3}$/i.test(key) ? key.toUpperCase() : key);
}

/**
 * The rules a selector picks: a code, a name, or a code prefix (`IL1`, `IL`:
 * a family), as ruff reads `select`. Undefined when it picks none.
 */
export function rulesOfSelector(selector: string): RuleId[] | undefined {
  const one = ruleOfCode(selector);
  if (one) return [one];
  const key = selector.toUpperCase();
  if (key in RETIRED_CODES || Object.values(RETIRED_CODES).includes(selector)) return [];
  if (!/^IL\d{0,2}$/i.test(selector)) return undefined;
  const prefix = selector.toUpperCase();
  const rules = (Object.entries(RULE_CODES) as [RuleId, RuleCode][]).filter(([, c]) => c.code.startsWith(prefix)).map(([rule]) => rule);
  return rules.length > 0 ? rules : undefined;
}
