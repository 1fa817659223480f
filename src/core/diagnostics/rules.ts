/**
 * Initialization and reproducibility rules: pure functions from one analyzed
 * document to findings, each with the text plan of its quick fix. The editor
 * adapter (src/diagnostics) only turns them into `Diagnostic`s and code
 * actions. Sources: PyTorch "Reproducibility" notes
 * (https://pytorch.org/docs/stable/notes/randomness.html), NumPy's random
 * Generator docs, Python's PYTHONHASHSEED docs; the initialization findings
 * are the verdicts of src/core/advice (whose rules name their own sources).
 */
import { appendArgumentsAt } from '../edits/code';
import { eolOf, indentOf, lineIndex, lineStart, nextLineStart } from '../edits/lines';
import { EditRefused, planApply, torchNnName } from '../edits/applyInit';
import { torchInitCall, type InitScheme } from '../init/schemes';
import { adviseAnalysis, type Verdict } from '../advice/judge';
import { displayed } from '../advice/present';
import { DEFAULT_ADVICE, type AdviceOptions } from '../advice/rules';
import { mainParam } from '../model/layer';
import type { Layer, Model, ModelAnalysis } from '../model/types';
import { syntaxErrors, type SyntaxNode, type TextEdit, type Tree } from '../python/parse';
import { callArgs } from '../python/syntax';
import type { SeedingAnalysis } from '../seeding/analyze';
import { firstConstruction, moduleLevelImports, torchDataLoaderCalls } from '../seeding/placement';
import { planSeed, planWorkerHelper, type SeedOptions } from '../seeding/plan';
import { seedTargets } from '../seeding/template';

/** Every rule; the id is the diagnostic's code and the key of its `initlens.diagnostics.*` setting. */
export const RULES = [
  'invalidLayerSize',
  'symmetricInit',
  'signalGain',
  'initNote',
  'seedAfterConstruction',
  'seedMissing',
  'cudaManualSeed',
  'pythonHashSeed',
  'unseededDefaultRng',
  'dataLoaderWorkers',
] as const;

export type RuleId = (typeof RULES)[number];

/** Where each rule's explanation lives. */
export const RULE_DOCS: Readonly<Record<RuleId, string>> = {
  invalidLayerSize: 'https://pytorch.org/docs/stable/nn.html',
  symmetricInit: 'https://pytorch.org/docs/stable/nn.init.html',
  signalGain: 'https://arxiv.org/abs/1611.01232',
  initNote: 'https://pytorch.org/docs/stable/nn.init.html',
  seedAfterConstruction: 'https://pytorch.org/docs/stable/notes/randomness.html',
  seedMissing: 'https://pytorch.org/docs/stable/notes/randomness.html',
  cudaManualSeed: 'https://pytorch.org/docs/stable/generated/torch.cuda.manual_seed_all.html',
  pythonHashSeed: 'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONHASHSEED',
  unseededDefaultRng: 'https://numpy.org/doc/stable/reference/random/generator.html',
  dataLoaderWorkers: 'https://pytorch.org/docs/stable/notes/randomness.html#dataloader',
};

/** A quick fix: a title and the text edits it applies (one undoable step). */
export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

/** One problem in a document. */
export interface Finding {
  readonly rule: RuleId;
  readonly from: number;
  readonly to: number;
  /** One sentence. */
  readonly message: string;
  readonly href: string;
  readonly severity: 'error' | 'warning' | 'information';
  readonly fix?: Fix;
}

/** A document, analyzed. */
export interface RuleInput {
  readonly text: string;
  readonly tree: Tree;
  readonly seeding: SeedingAnalysis;
  readonly models: ModelAnalysis;
}

/** Options of the fixes that write seeding code, and of the advice (strictness, rules turned off). */
export type RuleOptions = SeedOptions & { readonly advice?: AdviceOptions };

/** Runs the rules in `enabled` (all when omitted). */
export function checkDocument(input: RuleInput, options: RuleOptions, enabled?: ReadonlySet<RuleId>): Finding[] {
  const on = (r: RuleId) => !enabled || enabled.has(r);
  const findings: Finding[] = [];
  // A half-typed file yields half a tree: keep quiet rather than flag phantoms.
  if (syntaxErrors(input.tree, input.text).length > 0) return findings;
  if (on('invalidLayerSize')) findings.push(...invalidLayerSizes(input));
  if (on('symmetricInit') || on('signalGain') || on('initNote')) findings.push(...adviceFindings(input, options.advice ?? DEFAULT_ADVICE, on));
  if (on('seedAfterConstruction') || on('seedMissing')) findings.push(...seedPlacement(input, options, on));
  if (on('cudaManualSeed')) findings.push(...cudaManualSeed(input));
  if (on('pythonHashSeed')) findings.push(...pythonHashSeed(input));
  if (on('unseededDefaultRng')) findings.push(...unseededDefaultRng(input));
  if (on('dataLoaderWorkers')) findings.push(...dataLoaderWorkers(input));
  return findings.sort((a, b) => a.from - b.from);
}

/** The Apply plan for `layers` (several when one constructor call or init call builds them all). */
function applyFix(model: Model, layers: readonly Layer[], input: RuleInput): Fix | undefined {
  const layer = layers[0];
  const param = mainParam(layer);
  const rec = param?.recommendation;
  if (!param || !rec) return undefined;
  const title = `Initialize ${layers.length > 1 ? `${layer.name} and the ${layers.length - 1} other layers it stands for` : layer.name} with ${rec.name}`;
  const at = param.current.at;
  const nn = torchNnName(input.seeding.imports);
  // A PyTorch init call written out: replace it where it stands (the user's order is kept),
  // on the tensor it names there: `m.weight` in an `init_weights(m)` has no `self`.
  const tensor = layer.framework === 'torch' && at && nn ? initCallTensor(input, at) : undefined;
  // An init call that a rule writes for several layers (`if isinstance(m, nn.Linear): xavier_uniform_(m.weight)`
  // given to `apply`) is replaced only where it would be the advice for each of them. Else there is no quick fix:
  // a line of this layer's own, written in the class, would run before a later `apply` and be overwritten.
  if (tensor !== undefined && !sharedAdviceAgrees(input, at!, rec.scheme)) return undefined;
  if (tensor !== undefined) {
    return { title, edits: [{ offset: at!.from, length: at!.to - at!.from, text: torchInitCall(rec.scheme, tensor, nn!) }] };
  }
  try {
    const plan = planApply(model, input.text, input.seeding.imports, layers);
    return plan.edits.length > 0 ? { title, edits: plan.edits } : undefined;
  } catch (error) {
    if (error instanceof EditRefused) return undefined;
    throw error;
  }
}

/** Whether every layer whose main weight gets its init from the call at `at` is advised `scheme`. */
function sharedAdviceAgrees(input: RuleInput, at: { readonly from: number; readonly to: number }, scheme: InitScheme): boolean {
  const wanted = JSON.stringify(scheme);
  for (const model of input.models.models) {
    for (const other of model.layers) {
      const p = mainParam(other);
      if (p?.current.at?.from !== at.from || p.current.at.to !== at.to) continue;
      if (JSON.stringify(p.recommendation?.scheme) !== wanted) return false;
    }
  }
  return true;
}

/** Size arguments the library would reject, at the argument (or the constructor call when the value comes from a default). */
function invalidLayerSizes(input: RuleInput): Finding[] {
  const out: Finding[] = [];
  for (const model of input.models.models) {
    for (const layer of model.layers) {
      for (const p of layer.problems ?? []) {
        const lib = layer.framework === 'torch' ? 'PyTorch' : 'Keras';
        const message = `${layer.type} ${layer.name}: ${p.message}; ${p.limit ? 'InitLens shows no numbers for this layer' : `${lib} would reject it`}.`;
        out.push({ rule: 'invalidLayerSize', ...(p.at ?? layer.span), message, href: RULE_DOCS.invalidLayerSize, severity: p.limit ? 'warning' : 'error' });
      }
    }
  }
  return out;
}

/**
 * The tensor expression of the init call spanning `at`: the first argument of
 * `nn.init.kaiming_normal_(m.weight, ...)`, or the receiver of an in-place
 * method `m.weight.data.normal_(0, 0.02)`. Undefined for anything else.
 */
function initCallTensor(input: RuleInput, at: { from: number; to: number }): string | undefined {
  const { text, tree } = input;
  if (!/^[\w.[\]]+\.(init\.\w+|\w+_)\(/.test(text.slice(at.from, at.to))) return undefined;
  let call: SyntaxNode | null = tree.resolveInner(at.from, 1);
  while (call && !(call.name === 'CallExpression' && call.from === at.from && call.to === at.to)) call = call.parent;
  const callee = call?.firstChild;
  const list = call?.getChild('ArgList');
  if (!callee || callee.name !== 'MemberExpression' || !list) return undefined;
  const object = callee.firstChild;
  if (!object) return undefined;
  const owner = text.slice(object.from, object.to);
  if (/(^|\.)init$/.test(owner)) {
    const args = callArgs(list, text);
    const first = args.positional[0] ?? args.keywords.get('tensor');
    return first && !args.hasStarred ? text.slice(first.from, first.to) : undefined;
  }
  return owner;
}

/**
 * The advice's verdicts as findings (src/core/advice/judge.ts decides; this
 * only places them): a symmetry warning is `symmetricInit` (IL002), any other
 * warning `signalGain` (IL201), a note `initNote` (IL202, information, only at
 * the `suggestions` level). At the init call when one is written, else at the
 * Keras initializer argument, else at the constructor call.
 */
function adviceFindings(input: RuleInput, options: AdviceOptions, on: (r: RuleId) => boolean): Finding[] {
  const out: Finding[] = [];
  const advice = adviseAnalysis(input.models, input.text, options);
  for (const model of input.models.models) {
    // Layers one call builds (a comprehension, an init call in a modules() loop) share one finding, and one fix for them all.
    const groups = new Map<string, { rule: RuleId; at: { from: number; to: number }; verdict: Verdict; shown: 'warning' | 'note'; layers: Layer[] }>();
    for (const layer of model.layers) {
      const v = advice.verdict(layer);
      const shown = displayed(v, options.level);
      if (!v || !shown || shown === 'ok') continue;
      const rule = adviceRuleId(v);
      if (!on(rule)) continue;
      const param = mainParam(layer);
      const at = param?.current.source === 'explicit' && param.current.at ? param.current.at : (layer.kernelInitializer ?? layer.span);
      // Measured gains differ from layer to layer: one finding per call and cure, in the words of its first layer.
      const key = `${rule}:${at.from}:${at.to}:${v.fix?.name ?? ''}`;
      const group = groups.get(key);
      if (group) group.layers.push(layer);
      else groups.set(key, { rule, at, verdict: v, shown, layers: [layer] });
    }
    for (const { rule, at, verdict: v, shown, layers } of groups.values()) {
      const fix = v.fix ? applyFix(model, layers, input) : undefined;
      const names = layers.length > 1 ? `${layers[0].name} … ${layers[layers.length - 1].name} (${layers.length} layers)` : layers[0].name;
      out.push({
        rule,
        from: at.from,
        to: at.to,
        message: `${names}: ${v.message}`,
        href: RULE_DOCS[rule],
        severity: shown === 'warning' ? 'warning' : 'information',
        ...(fix ? { fix } : {}),
      });
    }
  }
  return out;
}

/** The diagnostic rule a shown verdict is reported under. */
export function adviceRuleId(v: Verdict): RuleId {
  if (v.level !== 'warning') return 'initNote';
  return v.rule === 'symmetry' ? 'symmetricInit' : 'signalGain';
}

/** A call `x.backward()`, `opt.step()`, `model.fit(...)` or `trainer.fit(...)` anywhere: the file trains. */
function trainingCall(tree: Tree, text: string): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  tree.iterate({
    enter(ref) {
      if (found) return false;
      if (ref.name !== 'CallExpression') return undefined;
      const callee = ref.node.firstChild;
      const property = callee?.name === 'MemberExpression' ? callee.lastChild : null;
      if (!callee || !property || property.name !== 'PropertyName') return undefined;
      const method = text.slice(property.from, property.to);
      // `loss.backward()` and `criterion(out, y).backward()` alike; `opt.step()`, `optimizer.step()`.
      const owner = text.slice(callee.from, property.from).toLowerCase();
      if (method === 'backward' || method === 'fit' || (method === 'step' && /opt/.test(owner))) found = ref.node;
      return undefined;
    },
  });
  return found;
}

/** Top-level statements that seed (library calls, or a call of a seed helper defined in the file). */
function seedStatements(input: RuleInput): SyntaxNode[] {
  const { tree, text, seeding } = input;
  const out: SyntaxNode[] = [];
  const seedingStatements = new Set(seeding.references.filter((r) => r.api.effect === 'seeds' && !r.qualifiedName.startsWith('jax.')).map((r) => r.statementFrom));
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    if (stmt.name !== 'ExpressionStatement' && stmt.name !== 'AssignStatement') continue;
    if ([...seedingStatements].some((from) => from >= stmt.from && from < stmt.to)) out.push(stmt);
    else if (/^(\w+\s*=\s*)?(seed_everything|set_seed|set_seeds|seed_all|set_random_seed|fix_seed)\s*\(/.test(text.slice(stmt.from, stmt.to))) out.push(stmt);
  }
  return out;
}


function seedPlacement(input: RuleInput, options: RuleOptions, on: (r: RuleId) => boolean): Finding[] {
  const { text, tree, seeding } = input;
  if (seeding.coverage.length === 0) return [];
  const seeds = seedStatements(input);
  const anySeed = seeds.length > 0 || seeding.references.some((r) => r.api.effect === 'seeds');
  const modelNames = input.models.models.map((m) => m.name);
  if (!anySeed) {
    const training = trainingCall(tree, text);
    if (!training || !on('seedMissing')) return [];
    let fix: Fix | undefined;
    try {
      const plan = planSeed({ text, tree, seeding, modelNames }, options);
      fix = { title: `Insert seed_everything(${options.seed})`, edits: plan.edits };
    } catch (error) {
      if (!(error instanceof EditRefused)) throw error;
    }
    return [
      {
        rule: 'seedMissing',
        from: training.from,
        to: training.to,
        message: 'This file trains but never seeds its random number generators, so weights, dropout and data order change on every run.',
        href: RULE_DOCS.seedMissing,
        severity: 'information',
        ...(fix ? { fix } : {}),
      },
    ];
  }
  if (!on('seedAfterConstruction')) return [];
  const built = firstConstruction(tree, text, seeding.imports, modelNames);
  const first = seeds[0];
  if (!built || !first || first.from < built.from || seeds.some((s) => s.from < built.from)) return [];
  // Move the seeding line to just above the construction (same text, one step).
  const from = lineStart(text, first.from);
  const to = nextLineStart(text, first.to);
  let moved = text.slice(from, to);
  if (!/[\r\n]$/.test(moved)) moved += eolOf(text);
  const at = lineStart(text, built.from);
  const builtText = text.slice(built.from, built.to).split(/\r\n|\r|\n/)[0].trim();
  return [
    {
      rule: 'seedAfterConstruction',
      from: first.from,
      to: first.to,
      message: `The seed is set after \`${builtText}\` (line ${lineOf(text, built.from)}) has already drawn its random numbers, so those stay unseeded.`,
      href: RULE_DOCS.seedAfterConstruction,
      severity: 'warning',
      fix: {
        title: `Move the seed above line ${lineOf(text, built.from)}`,
        edits: [
          { offset: at, length: 0, text: moved },
          { offset: from, length: to - from, text: '' },
        ],
      },
    },
  ];
}

function lineOf(text: string, offset: number): number {
  return lineIndex(text, offset) + 1;
}

function cudaManualSeed(input: RuleInput): Finding[] {
  return input.seeding.references
    .filter((r) => r.qualifiedName === 'torch.cuda.manual_seed' || r.qualifiedName === 'torch.cuda.random.manual_seed')
    .map((r) => ({
      rule: 'cudaManualSeed' as const,
      from: r.from,
      to: r.to,
      message: 'torch.cuda.manual_seed seeds only the current GPU; use torch.cuda.manual_seed_all (or torch.manual_seed) to seed every device.',
      href: RULE_DOCS.cudaManualSeed,
      severity: 'warning' as const,
      fix: { title: 'Use manual_seed_all', edits: [{ offset: r.to, length: 0, text: '_all' }] },
    }));
}

function pythonHashSeed(input: RuleInput): Finding[] {
  return input.seeding.references
    .filter((r) => r.qualifiedName === 'os.environ.PYTHONHASHSEED')
    .map((r) => {
      const statement = input.text.slice(r.statementFrom, r.statementTo);
      return {
        rule: 'pythonHashSeed' as const,
        from: r.statementFrom,
        to: r.statementTo,
        message: 'Setting PYTHONHASHSEED here has no effect on this process: Python reads it once at start-up, so set it in the shell (PYTHONHASHSEED=0 python script.py).',
        href: RULE_DOCS.pythonHashSeed,
        severity: 'warning' as const,
        // Commented out, not deleted: the user's text stays, with why it does nothing.
        fix: {
          title: 'Comment it out (set PYTHONHASHSEED in the shell instead)',
          edits: [{ offset: r.statementFrom, length: r.statementTo - r.statementFrom, text: `# ${statement}  # no effect: PYTHONHASHSEED is read at interpreter start-up; set it in the shell` }],
        },
      };
    });
}

function unseededDefaultRng(input: RuleInput): Finding[] {
  const { seeding, text } = input;
  const legacy = seeding.references.find((r) => r.qualifiedName === 'numpy.random.seed');
  if (!legacy) return [];
  // The legacy seed's argument, where it is visible from anywhere: a literal, or a name set by a module-level call.
  const argument = legacy.argument?.trim() ?? '';
  const seed = /^\d+$/.test(argument) || (/^[A-Za-z_][\w.]*$/.test(argument) && indentOf(text, legacy.statementFrom) === '') ? argument : '0';
  return seeding.references
    .filter((r) => r.qualifiedName === 'numpy.random.default_rng' && r.argument === undefined && /^\s*\(\s*\)$/.test(text.slice(r.to, r.statementTo)))
    .map((r) => ({
      rule: 'unseededDefaultRng' as const,
      from: r.from,
      to: r.statementTo,
      message: `np.random.seed does not reach this generator: np.random.default_rng() without a seed draws from the OS and differs on every run.`,
      href: RULE_DOCS.unseededDefaultRng,
      severity: 'warning' as const,
      fix: { title: `Pass the seed: default_rng(${seed})`, edits: [{ offset: r.statementTo - 1, length: 0, text: seed }] },
    }));
}

function dataLoaderWorkers(input: RuleInput): Finding[] {
  const { tree, text, seeding } = input;
  const seeded = seeding.references.some((r) => r.api.effect === 'seeds') || seedStatements(input).length > 0;
  const targets = seedTargets(seeding.imports);
  // torch seeds each worker itself (base_seed + worker_id); NumPy and random are the ones copied.
  if (!seeded || !targets.includes('torch') || !(targets.includes('numpy') || targets.includes('random'))) return [];
  const out: Finding[] = [];
  for (const { call, list } of torchDataLoaderCalls(tree, text, seeding.imports)) {
    const args = callArgs(list, text);
    const workers = args.keywords.get('num_workers');
    const value = workers && text.slice(workers.from, workers.to).trim();
    if (!value || value === '0' || args.keywords.has('worker_init_fn') || args.hasStarred) continue;
    out.push({
      rule: 'dataLoaderWorkers',
      from: call.from,
      to: call.to,
      message: 'Each DataLoader worker starts from a copy of the NumPy/random state, so workers repeat the same "random" augmentations; seed them with worker_init_fn and a seeded generator.',
      href: RULE_DOCS.dataLoaderWorkers,
      severity: 'warning',
      fix: workerFix(input, list),
    });
  }
  return out;
}

/** The seed plan's worker helper, wired into one DataLoader call. */
function workerFix(input: RuleInput, list: SyntaxNode): Fix {
  const { text, tree, seeding } = input;
  const edits: TextEdit[] = planWorkerHelper({ text, tree, seeding, modelNames: input.models.models.map((m) => m.name) });
  const args = callArgs(list, text);
  const torch = moduleLevelImports(tree, seeding.imports).find((b) => b.target === 'torch')?.local ?? 'torch';
  const add = ['worker_init_fn=seed_worker'];
  if (!args.keywords.has('generator')) add.push(`generator=${torch}.Generator().manual_seed(${torch}.initial_seed())`);
  edits.push(appendArgumentsAt(text, list.from, list.to - 1, add.join(', ')));
  return { title: 'Seed DataLoader workers (worker_init_fn=seed_worker, seeded generator)', edits: edits.sort((a, b) => a.offset - b.offset) };
}
