/**
 * The text InitLens writes to seed a file: the `seed_everything` function and
 * the DataLoader `seed_worker` helper, line by line with why each line is
 * there (PyTorch's "Reproducibility" notes,
 * https://pytorch.org/docs/stable/notes/randomness.html, TensorFlow's
 * `tf.config.experimental.enable_op_determinism` docs and `jax.random`), in
 * the file's own layout and through the file's own import aliases.
 */
import { eolOf, splitLines } from '../edits/lines';
import type { ImportBinding } from '../python/imports';
import type { RngId } from './knowledge';

/** Marks a function InitLens wrote, so a second run regenerates it in place. */
export const SEED_MARKER = '(written by InitLens)';

/** The frameworks InitLens writes seeding code for, in the order the lines appear. */
export type SeedTarget = 'random' | 'numpy' | 'torch' | 'tensorflow' | 'keras' | 'jax' | 'dgl' | 'paddle' | 'mindspore';

export const TARGET_ORDER: readonly SeedTarget[] = ['random', 'numpy', 'torch', 'tensorflow', 'keras', 'jax', 'dgl', 'paddle', 'mindspore'];

/** The module each target is seeded through, and the alias to import it by when the file has none. */
const TARGET_MODULE: Readonly<Record<SeedTarget, { module: string; alias?: string }>> = {
  random: { module: 'random' },
  numpy: { module: 'numpy', alias: 'np' },
  torch: { module: 'torch' },
  tensorflow: { module: 'tensorflow', alias: 'tf' },
  keras: { module: 'keras' },
  jax: { module: 'jax' },
  dgl: { module: 'dgl' },
  paddle: { module: 'paddle' },
  mindspore: { module: 'mindspore', alias: 'ms' },
};

/** RNGs a target's lines seed, to tell which lines a user's own function lacks. */
export const TARGET_RNGS: Readonly<Record<SeedTarget, readonly RngId[]>> = {
  random: ['python'],
  numpy: ['numpy'],
  torch: ['torch-cpu', 'torch-cuda'],
  tensorflow: ['tensorflow'],
  keras: ['tensorflow'],
  jax: ['jax'],
  dgl: ['dgl'],
  paddle: ['paddle'],
  mindspore: ['mindspore'],
};

/** The frameworks to seed, from the top-level modules a file imports. */
export function seedTargets(imports: readonly ImportBinding[]): SeedTarget[] {
  const roots = new Set(imports.map((b) => b.target.split('.')[0]));
  const found = new Set<SeedTarget>();
  if (roots.has('random')) found.add('random');
  if (roots.has('numpy')) found.add('numpy');
  if (roots.has('torch') || roots.has('lightning') || roots.has('pytorch_lightning')) found.add('torch');
  if (roots.has('tensorflow')) found.add('tensorflow');
  // Keras 3 without TensorFlow: keras.utils.set_random_seed seeds its backend.
  else if (roots.has('keras') || roots.has('tf_keras')) found.add('keras');
  if (roots.has('jax') || roots.has('flax')) found.add('jax');
  for (const t of ['dgl', 'paddle', 'mindspore'] as const) if (roots.has(t)) found.add(t);
  return TARGET_ORDER.filter((t) => found.has(t));
}

/** The file's local name for a whole module (`np` for numpy), if it binds one. */
function moduleName(imports: readonly ImportBinding[], module: string): string | undefined {
  let local: string | undefined;
  for (const b of imports) if (b.target === module) local = b.local;
  return local;
}

/** The text of a file's layout: line ending and one indentation unit. */
export interface Layout {
  readonly eol: string;
  readonly indent: string;
}

/** CRLF when the file uses it; the indentation of the first indented block (else four spaces). */
export function layoutOf(text: string): Layout {
  const eol = eolOf(text);
  const lines = splitLines(text);
  let indent = '    ';
  for (let i = 1; i < lines.length; i++) {
    const m = /^([ \t]+)\S/.exec(lines[i]);
    if (m && /:\s*(#.*)?$/.test(lines[i - 1]) && !/^[ \t]/.test(lines[i - 1])) {
      indent = m[1];
      break;
    }
  }
  return { eol, indent };
}

/** Names the generated code refers to, and the imports it must add for the ones the file lacks. */
export class Names {
  readonly missing: string[] = [];
  constructor(private readonly imports: readonly ImportBinding[]) {}

  /** The local name of `module`, adding `import module [as alias]` when the file has none. */
  of(module: string, alias?: string): string {
    const local = moduleName(this.imports, module);
    if (local) return local;
    const line = alias ? `import ${module} as ${alias}` : `import ${module}`;
    if (!this.missing.includes(line)) this.missing.push(line);
    return alias ?? module;
  }
}

/** The body lines of `seed_everything` for `targets` (without indentation). */
export function seedingLines(targets: readonly SeedTarget[], names: Names, param: string): { seeds: string[]; jax?: string } {
  const seeds: string[] = [];
  let jax: string | undefined;
  for (const t of targets) {
    const m = TARGET_MODULE[t];
    const n = names.of(m.module, m.alias);
    switch (t) {
      case 'random':
        seeds.push(`${n}.seed(${param})  # Python's global generator (random.shuffle, random.choice, ...)`);
        break;
      case 'numpy':
        seeds.push(`${n}.random.seed(${param})  # NumPy's legacy global RandomState (np.random.rand, ...); default_rng() generators need their own seed`);
        break;
      case 'torch':
        seeds.push(`${n}.manual_seed(${param})  # PyTorch's CPU generator (weight init, dropout, shuffling) and every CUDA device`);
        seeds.push(`${n}.cuda.manual_seed_all(${param})  # every GPU explicitly; torch.cuda.manual_seed would seed only the current one`);
        break;
      case 'tensorflow':
        seeds.push(`${n}.random.set_seed(${param})  # TensorFlow's global seed, from which every op derives its own`);
        break;
      case 'keras':
        seeds.push(`${n}.utils.set_random_seed(${param})  # Keras 3: Python random, NumPy and the backend's seed in one call`);
        break;
      case 'jax':
        jax = `return ${n}.random.PRNGKey(${param})  # JAX has no global RNG: thread this key (jax.random.split) through your code`;
        break;
      case 'dgl':
        seeds.push(`${n}.seed(${param})  # DGL's graph samplers and random graph functions`);
        break;
      case 'paddle':
        seeds.push(`${n}.seed(${param})  # PaddlePaddle's global generator (CPU and GPU)`);
        break;
      case 'mindspore':
        seeds.push(`${n}.set_seed(${param})  # MindSpore's global seed (ops and initializers derive theirs from it)`);
        break;
    }
  }
  return { seeds, ...(jax ? { jax } : {}) };
}

/** Determinism switches for `targets`, each with why (empty when none applies). */
function determinismLines(targets: readonly SeedTarget[], names: Names, warnOnly: boolean): string[] {
  const lines: string[] = [];
  if (targets.includes('torch')) {
    const os = names.of('os');
    const torch = names.of('torch');
    lines.push(
      '# cuBLAS reads this when CUDA initializes: call seed_everything before any tensor touches the GPU.',
      `${os}.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"`,
      `${torch}.backends.cudnn.deterministic = True  # deterministic convolution algorithms only`,
      `${torch}.backends.cudnn.benchmark = False  # autotuning picks kernels by timing, which varies between runs`,
      `${torch}.use_deterministic_algorithms(True, warn_only=${warnOnly ? 'True' : 'False'})  # ${warnOnly ? 'warn' : 'raise'} on ops with no deterministic implementation`,
    );
  }
  if (targets.includes('tensorflow')) {
    const tf = names.of('tensorflow', 'tf');
    lines.push(`${tf}.config.experimental.enable_op_determinism()  # deterministic TensorFlow kernels (slower)`);
  }
  return lines;
}

/** The whole `seed_everything` definition, lines without trailing line ending. */
export function seedFunction(targets: readonly SeedTarget[], names: Names, warnOnly: boolean, indent: string): { lines: string[]; deterministicParam: boolean; returnsKey: boolean } {
  const { seeds, jax } = seedingLines(targets, names, 'seed');
  const knobs = determinismLines(targets, names, warnOnly);
  const params = knobs.length > 0 ? 'seed: int, deterministic: bool = True' : 'seed: int';
  const lines = [
    `def seed_everything(${params}):`,
    `${indent}"""Seed every random number generator this file uses ${SEED_MARKER}.`,
    '',
    `${indent}PYTHONHASHSEED (str/set hash order) is not set here: Python reads it once at`,
    `${indent}start-up, so set it in the shell instead (PYTHONHASHSEED=0 python script.py).`,
    ...(targets.includes('torch') ? [`${indent}See https://pytorch.org/docs/stable/notes/randomness.html`] : []),
    `${indent}"""`,
    ...seeds.map((l) => `${indent}${l}`),
  ];
  if (knobs.length > 0) {
    lines.push(`${indent}if deterministic:`, ...knobs.map((l) => `${indent}${indent}${l}`));
  }
  if (jax) lines.push(`${indent}${jax}`);
  return { lines, deterministicParam: knobs.length > 0, returnsKey: jax !== undefined };
}

/** The DataLoader worker helper of PyTorch's reproducibility notes, when NumPy or random need reseeding per worker. */
export function workerFunction(targets: readonly SeedTarget[], names: Names, indent: string): string[] | undefined {
  const reseed = targets.filter((t) => t === 'numpy' || t === 'random');
  if (!targets.includes('torch') || reseed.length === 0) return undefined;
  const torch = names.of('torch');
  const lines = [
    'def seed_worker(worker_id: int):',
    `${indent}"""DataLoader worker_init_fn ${SEED_MARKER}: forked workers inherit the parent's NumPy/random`,
    `${indent}state, so each would draw the same "random" augmentations; derive theirs from the worker's torch seed."""`,
    `${indent}worker_seed = ${torch}.initial_seed() % 2**32`,
  ];
  if (reseed.includes('numpy')) lines.push(`${indent}${names.of('numpy', 'np')}.random.seed(worker_seed)`);
  if (reseed.includes('random')) lines.push(`${indent}${names.of('random')}.seed(worker_seed)`);
  return lines;
}
