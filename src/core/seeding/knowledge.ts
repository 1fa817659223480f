/**
 * What InitLens knows about random number generators in the Python ML stack:
 * which frameworks own a global RNG, and what each seeding-related API really
 * does to them. Facts come from each library's own documentation and source
 * (PyTorch `torch/random.py` and "Reproducibility" notes, NumPy's
 * `numpy.random` legacy/Generator split, TensorFlow `tf.random.set_seed` and
 * `tf.keras.utils.set_random_seed`, JAX `jax.random`, Lightning
 * `seed_everything`, transformers `set_seed`).
 */

/** A global random number generator a program may need to seed. */
export type RngId =
  | 'python'
  | 'numpy'
  | 'torch-cpu'
  | 'torch-cuda'
  | 'tensorflow'
  | 'jax'
  | 'dgl'
  | 'paddle'
  | 'mindspore';

export const RNG_LABELS: Readonly<Record<RngId, string>> = {
  python: 'Python `random`',
  numpy: 'NumPy global RNG (`np.random.*`)',
  'torch-cpu': 'PyTorch CPU generator',
  'torch-cuda': 'PyTorch CUDA generators (every GPU)',
  tensorflow: 'TensorFlow global seed',
  jax: 'JAX key (explicit, no global state)',
  dgl: 'DGL samplers',
  paddle: 'Paddle generator',
  mindspore: 'MindSpore global seed',
};

/** A framework recognized by the top-level module a file imports. */
export interface Framework {
  readonly id: string;
  readonly label: string;
  /** Top-level module names that mean "this file uses it". */
  readonly modules: readonly string[];
  /** Global RNGs that importing it brings into play. */
  readonly rngs: readonly RngId[];
}

export const FRAMEWORKS: readonly Framework[] = [
  { id: 'random', label: 'random', modules: ['random'], rngs: ['python'] },
  { id: 'numpy', label: 'NumPy', modules: ['numpy'], rngs: ['numpy'] },
  { id: 'torch', label: 'PyTorch', modules: ['torch'], rngs: ['torch-cpu', 'torch-cuda'] },
  { id: 'tensorflow', label: 'TensorFlow / Keras', modules: ['tensorflow', 'keras', 'tf_keras'], rngs: ['tensorflow'] },
  { id: 'jax', label: 'JAX', modules: ['jax', 'flax'], rngs: ['jax'] },
  { id: 'dgl', label: 'DGL', modules: ['dgl'], rngs: ['dgl'] },
  { id: 'paddle', label: 'PaddlePaddle', modules: ['paddle'], rngs: ['paddle'] },
  { id: 'mindspore', label: 'MindSpore', modules: ['mindspore'], rngs: ['mindspore'] },
  // Helpers that seed others; importing them adds no RNG of their own.
  { id: 'transformers', label: 'Transformers', modules: ['transformers'], rngs: [] },
  { id: 'lightning', label: 'Lightning', modules: ['lightning', 'pytorch_lightning', 'lightning_fabric'], rngs: [] },
];

/**
 * How an API affects reproducibility:
 * - `seeds`: sets the listed RNGs to a fixed state;
 * - `partial`: seeds less than its name suggests (see `caveat`);
 * - `randomizes`: looks like seeding but picks a fresh non-deterministic seed;
 * - `no-effect`: has no effect where it is usually written;
 * - `determinism`: a switch for deterministic kernels, not a seed;
 * - `local`: creates an independent generator/key that only code using it sees;
 * - `draws`: draws random numbers (from the generator named in `summary`).
 */
export type ApiEffect = 'seeds' | 'partial' | 'randomizes' | 'no-effect' | 'determinism' | 'local' | 'draws';

/** One API a hover can explain and a report can account for. */
export interface RandomApi {
  /** Fully qualified names that reach it (aliases across versions included). */
  readonly names: readonly string[];
  /** How it is used: called, or assigned to (`cudnn.benchmark = False`, `os.environ[...] =`). */
  readonly usage: 'call' | 'assign';
  readonly effect: ApiEffect;
  /** RNGs it seeds (for `seeds` and `partial`). */
  readonly seeds: readonly RngId[];
  /** One sentence: what it does. */
  readonly summary: string;
  /** The trap, when there is one. */
  readonly caveat?: string;
  /** Where the behaviour is documented. */
  readonly docs: string;
}

const TORCH_REPRO = 'https://pytorch.org/docs/stable/notes/randomness.html';

export const RANDOM_APIS: readonly RandomApi[] = [
  {
    names: ['random.seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['python'],
    summary: "Seeds Python's global `random` generator.",
    caveat: 'It does not touch NumPy, PyTorch or TensorFlow, which each keep their own generator.',
    docs: 'https://docs.python.org/3/library/random.html#random.seed',
  },
  {
    names: ['numpy.random.seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['numpy'],
    summary: "Seeds NumPy's legacy global `RandomState` (what `np.random.rand`, `np.random.shuffle`, … draw from).",
    caveat:
      'Generators made with `np.random.default_rng()` are independent of it: pass them a seed of their own. DataLoader workers forked from this process start from the same NumPy state unless a `worker_init_fn` reseeds them.',
    docs: 'https://numpy.org/doc/stable/reference/random/generated/numpy.random.seed.html',
  },
  {
    names: ['numpy.random.default_rng', 'numpy.random.Generator', 'numpy.random.RandomState'],
    usage: 'call',
    effect: 'local',
    seeds: [],
    summary: 'Creates an independent NumPy generator; only code that uses this object sees its seed.',
    caveat: 'Without an argument it is seeded from the OS, differently on every run.',
    docs: 'https://numpy.org/doc/stable/reference/random/generator.html',
  },
  {
    names: ['torch.manual_seed', 'torch.random.manual_seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['torch-cpu', 'torch-cuda'],
    summary: "Seeds PyTorch's CPU generator and the generators of every CUDA device.",
    caveat:
      'Seeds are not enough on GPU: cuDNN autotuning and nondeterministic kernels still vary between runs unless `torch.use_deterministic_algorithms(True)` and `torch.backends.cudnn.benchmark = False` are set.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.manual_seed.html',
  },
  {
    names: ['torch.cuda.manual_seed', 'torch.cuda.random.manual_seed'],
    usage: 'call',
    effect: 'partial',
    seeds: [],
    summary: 'Seeds the generator of the **current** CUDA device only.',
    caveat:
      'Other GPUs and the CPU generator stay unseeded. Use `torch.manual_seed(seed)` (CPU and all GPUs) or `torch.cuda.manual_seed_all(seed)`.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.cuda.manual_seed.html',
  },
  {
    names: ['torch.cuda.manual_seed_all', 'torch.cuda.random.manual_seed_all'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['torch-cuda'],
    summary: 'Seeds the generators of every CUDA device.',
    caveat: 'The CPU generator (used for weight initialization) is not seeded: add `torch.manual_seed(seed)`.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.cuda.manual_seed_all.html',
  },
  {
    names: ['torch.seed', 'torch.random.seed', 'torch.cuda.seed', 'torch.cuda.seed_all'],
    usage: 'call',
    effect: 'randomizes',
    seeds: [],
    summary: 'Sets a **non-deterministic** random seed and returns it.',
    caveat: 'Despite the name it makes runs differ. To fix the seed, call `torch.manual_seed(seed)`.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.seed.html',
  },
  {
    names: ['torch.Generator'],
    usage: 'call',
    effect: 'local',
    seeds: [],
    summary: 'An independent PyTorch generator; only calls given `generator=` draw from it.',
    caveat: 'Pass a seeded generator to each `DataLoader` (`generator=g`) so shuffling is reproducible.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.Generator.html',
  },
  {
    names: ['torch.use_deterministic_algorithms'],
    usage: 'call',
    effect: 'determinism',
    seeds: [],
    summary: 'Makes PyTorch use deterministic kernels, and raise (or warn, with `warn_only=True`) where none exists.',
    caveat:
      'On CUDA ≥ 10.2 it also needs the environment variable `CUBLAS_WORKSPACE_CONFIG=:4096:8` set before CUDA initializes.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html',
  },
  {
    names: ['torch.backends.cudnn.benchmark'],
    usage: 'assign',
    effect: 'determinism',
    seeds: [],
    summary: 'cuDNN autotuning: `True` benchmarks several convolution algorithms and keeps the fastest.',
    caveat: 'The choice can differ from run to run; set it to `False` for reproducible results.',
    docs: TORCH_REPRO,
  },
  {
    names: ['torch.backends.cudnn.deterministic'],
    usage: 'assign',
    effect: 'determinism',
    seeds: [],
    summary: '`True` restricts cuDNN to deterministic convolution algorithms.',
    caveat: 'Other nondeterministic CUDA ops remain; `torch.use_deterministic_algorithms(True)` covers them.',
    docs: TORCH_REPRO,
  },
  {
    names: ['os.environ.PYTHONHASHSEED'],
    usage: 'assign',
    effect: 'no-effect',
    seeds: [],
    summary: 'Sets `PYTHONHASHSEED` in the environment of this process.',
    caveat:
      'Python reads it once, at interpreter start-up: setting it here does not change hashing in this interpreter, only in processes started later. Set it in the shell or launcher instead (`PYTHONHASHSEED=0 python train.py`).',
    docs: 'https://docs.python.org/3/using/cmdline.html#envvar-PYTHONHASHSEED',
  },
  {
    names: ['tensorflow.random.set_seed', 'tensorflow.compat.v1.set_random_seed', 'tensorflow.set_random_seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['tensorflow'],
    summary: "Sets TensorFlow's global seed; op-level seeds are derived from it.",
    caveat:
      'Python `random` and NumPy stay unseeded: `tf.keras.utils.set_random_seed(seed)` seeds all three. GPU kernels may still be nondeterministic without `tf.config.experimental.enable_op_determinism()`.',
    docs: 'https://www.tensorflow.org/api_docs/python/tf/random/set_seed',
  },
  {
    names: ['tensorflow.keras.utils.set_random_seed', 'keras.utils.set_random_seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['python', 'numpy', 'tensorflow'],
    summary: 'Seeds Python `random`, NumPy and the TensorFlow (Keras backend) generator in one call.',
    docs: 'https://www.tensorflow.org/api_docs/python/tf/keras/utils/set_random_seed',
  },
  {
    names: ['tensorflow.config.experimental.enable_op_determinism'],
    usage: 'call',
    effect: 'determinism',
    seeds: [],
    summary: 'Makes TensorFlow ops deterministic (raising for ops that cannot be).',
    caveat: 'It does not set a seed: pair it with `tf.keras.utils.set_random_seed(seed)`.',
    docs: 'https://www.tensorflow.org/api_docs/python/tf/config/experimental/enable_op_determinism',
  },
  {
    names: ['jax.random.PRNGKey', 'jax.random.key'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['jax'],
    summary: 'Creates a JAX PRNG key. JAX has no global generator: randomness comes only from keys you split and pass.',
    caveat: 'Reusing one key for two draws gives identical numbers: `jax.random.split` it.',
    docs: 'https://jax.readthedocs.io/en/latest/random-numbers.html',
  },
  {
    names: ['dgl.seed', 'dgl.random.seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['dgl'],
    summary: "Seeds DGL's own samplers (neighbour sampling, random walks).",
    caveat: 'The model weights come from PyTorch: `torch.manual_seed` is still needed.',
    docs: 'https://docs.dgl.ai/generated/dgl.seed.html',
  },
  {
    names: ['paddle.seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['paddle'],
    summary: "Seeds Paddle's global generator.",
    docs: 'https://www.paddlepaddle.org.cn/documentation/docs/en/api/paddle/seed_en.html',
  },
  {
    names: ['mindspore.set_seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['mindspore'],
    summary: "Sets MindSpore's global seed.",
    docs: 'https://www.mindspore.cn/docs/en/master/api_python/mindspore/mindspore.set_seed.html',
  },
  {
    names: ['transformers.set_seed', 'transformers.trainer_utils.set_seed'],
    usage: 'call',
    effect: 'seeds',
    seeds: ['python', 'numpy', 'torch-cpu', 'torch-cuda', 'tensorflow'],
    summary: 'Seeds Python `random`, NumPy, PyTorch (CPU and all GPUs) and TensorFlow when installed.',
    caveat: 'For deterministic kernels as well, use `transformers.enable_full_determinism(seed)`.',
    docs: 'https://huggingface.co/docs/transformers/main_classes/trainer#transformers.set_seed',
  },
  {
    names: [
      'lightning.seed_everything',
      'lightning.pytorch.seed_everything',
      'pytorch_lightning.seed_everything',
      'lightning_fabric.seed_everything',
      'lightning_fabric.utilities.seed.seed_everything',
    ],
    usage: 'call',
    effect: 'seeds',
    seeds: ['python', 'numpy', 'torch-cpu', 'torch-cuda'],
    summary: "Lightning's helper: seeds Python `random`, NumPy and PyTorch (CPU and all GPUs).",
    caveat: 'Pass `workers=True` so DataLoader workers get distinct, derived seeds.',
    docs: 'https://lightning.ai/docs/pytorch/stable/common/trainer.html#reproducibility',
  },
];

/** Drawing functions people misuse (bounds, which generator they use). */
const DRAWS: RandomApi[] = [
  {
    names: ['random.randint'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: 'An integer N with a <= N <= b: **both ends included**.',
    caveat: '`random.randrange(a, b)`, `np.random.randint(a, b)` and `torch.randint(a, b, ...)` exclude b.',
    docs: 'https://docs.python.org/3/library/random.html#random.randint',
  },
  {
    names: ['random.randrange'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: 'An integer from range(start, stop, step): **stop excluded**.',
    caveat: '`random.randint(a, b)` includes b.',
    docs: 'https://docs.python.org/3/library/random.html#random.randrange',
  },
  {
    names: ['random.random', 'random.uniform', 'random.choice', 'random.choices', 'random.shuffle', 'random.sample', 'random.gauss'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: "Draws from Python's global `random` generator, which `random.seed` seeds.",
    docs: 'https://docs.python.org/3/library/random.html',
  },
  {
    names: ['numpy.random.randint'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: 'Integers in [low, high): **high excluded** (unlike `random.randint`).',
    caveat: "It draws from NumPy's legacy global state: `np.random.seed` seeds it, `default_rng` generators are separate.",
    docs: 'https://numpy.org/doc/stable/reference/random/generated/numpy.random.randint.html',
  },
  {
    names: ['numpy.random.rand', 'numpy.random.randn', 'numpy.random.random', 'numpy.random.choice', 'numpy.random.shuffle', 'numpy.random.permutation', 'numpy.random.normal', 'numpy.random.uniform'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: "Draws from NumPy's legacy global `RandomState`, which `np.random.seed` seeds.",
    caveat: 'New code should draw from a seeded `rng = np.random.default_rng(seed)`; `np.random.seed` does not affect such generators.',
    docs: 'https://numpy.org/doc/stable/reference/random/legacy.html',
  },
  {
    names: ['torch.randint'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: 'Integers in [low, high): **high excluded**, from the PyTorch generator of the tensor\'s device.',
    docs: 'https://pytorch.org/docs/stable/generated/torch.randint.html',
  },
  {
    names: ['torch.rand', 'torch.randn', 'torch.randperm', 'torch.normal', 'torch.bernoulli', 'torch.multinomial', 'torch.poisson', 'torch.rand_like', 'torch.randn_like', 'torch.randint_like'],
    usage: 'call',
    effect: 'draws',
    seeds: [],
    summary: "Draws from the PyTorch generator of the tensor's device (the global one `torch.manual_seed` seeds, unless `generator=` is given): a model built after it in the same stream gets other values.",
    docs: 'https://pytorch.org/docs/stable/torch.html#random-sampling',
  },
];

/** Every API hovers explain: seeding, determinism and drawing. */
export const KNOWN_APIS: readonly RandomApi[] = [...RANDOM_APIS, ...DRAWS];

const BY_NAME = new Map<string, RandomApi>(KNOWN_APIS.flatMap((api) => api.names.map((n) => [n, api] as const)));

/** The API a qualified name refers to, if InitLens knows it. */
export function lookupRandomApi(qualifiedName: string): RandomApi | undefined {
  return BY_NAME.get(qualifiedName);
}

/** The framework a qualified module name belongs to (`torch.nn` → PyTorch). */
export function frameworkOfModule(qualifiedName: string): Framework | undefined {
  const root = qualifiedName.split('.')[0];
  return FRAMEWORKS.find((f) => f.modules.includes(root));
}
