/**
 * Every bound on InitLens's work, stated once. Each computation whose cost
 * grows with its input checks its limit before it starts and, above it,
 * refuses with {@link LimitError}, whose message names the limit (and the
 * setting, where one exists) in one line.
 */
import { settingDefault } from './settings';

/** One bound: its value, the unit it counts, and what it bounds. */
export interface Limit {
  readonly value: number;
  /** Plural unit of `value` (`characters`, `values`). */
  readonly unit: string;
  /** What is bounded, completing "the limit for …". */
  readonly what: string;
  /** The `initlens.*` setting that raises it, where a user may need more. */
  readonly setting?: string;
}

export const LIMITS = {
  /** The analysis skips longer documents (the setting's default; the editor passes the setting's value). */
  documentLength: { value: settingDefault('analysis.maxFileSize'), unit: 'characters', what: 'analyzed documents', setting: 'initlens.analysis.maxFileSize' },
  /** The CLI reads at most this many bytes of a file (or stdin, or a device): as many as the analysis accepts characters. */
  inputBytes: { value: settingDefault('analysis.maxFileSize'), unit: 'bytes', what: 'input files' },
  /** Nesting of the expressions the constant evaluator follows (`((((1))))`, `a + b + c …`). */
  expressionDepth: { value: 64, unit: 'levels', what: 'constant expressions' },
  /** Elements in one evaluated constant (`c2 = (c1, c1)` doubles each line): larger ones are unknown. */
  constantElements: { value: 10_000, unit: 'elements', what: 'module constants' },
  /** Elements of all module constants together; later ones beyond it are unknown. */
  scopeElements: { value: 100_000, unit: 'elements', what: 'all module constants together' },
  /** Nesting of one evaluated constant's tuples and lists. */
  constantDepth: { value: 32, unit: 'levels', what: 'module constants' },
  /** Contexts (distinct sets of constructor arguments) a class of the file is analyzed in; beyond them, its numbers stay symbolic. */
  classContexts: { value: 16, unit: 'contexts', what: 'constructor contexts per class' },
  /** Classes built inside classes that the module tree follows, from a root model down. */
  treeDepth: { value: 12, unit: 'levels', what: 'the module tree' },
  /** Class analyses (a class in one context) per document. */
  treeAnalyses: { value: 512, unit: 'class analyses', what: 'the module tree of a document' },
  /** Iterations of the loops and comprehensions unrolled in one module's `__init__` (each with its variable bound), all together. */
  loopIterations: { value: 1_000, unit: 'iterations', what: "loops unrolled in one module's __init__" },
  /** Statements of small module functions (`def pair(t): ...`) run for their value in one module's `__init__`, all together. */
  functionSteps: { value: 10_000, unit: 'statements', what: "module functions evaluated in one module's __init__" },
  /** Calls of the file's functions followed from one module-level statement or function, to the constructions they reach. */
  followedCalls: { value: 256, unit: 'calls', what: "the file's function calls followed from one statement" },
  /** Class analyses run to read the instances given as arguments (`MAE(encoder=v)` after `v = ViT(...)`) while one file is read. */
  instanceAnalyses: { value: 64, unit: 'class analyses', what: 'module instances given as arguments, per file' },
  /** Python files of the workspace read for their imports (the extension's index, the CLI's scan of the project). */
  workspaceFiles: { value: 5_000, unit: 'files', what: 'workspace files scanned for imports' },
  /** Files one `initlens check` reads (named and found in folders); the walk stops there. */
  checkFiles: { value: 100_000, unit: 'files', what: 'files one check reads' },
  /** Folders one `initlens check` lists; the walk stops there. */
  checkFolders: { value: 100_000, unit: 'folders', what: 'folders one check lists' },
  /** Depth of the folders `initlens check` descends into below a PATH. */
  checkDepth: { value: 64, unit: 'levels', what: 'folders below a checked path' },
  /** A notebook's JSON (outputs, images included) above this is not read; its code then is bounded by `documentLength`. */
  notebookBytes: { value: 20_000_000, unit: 'bytes', what: 'a checked notebook' },
  /** Fixes `initlens check --fix` applies to one file, each followed by a fresh analysis. */
  fixesPerFile: { value: 32, unit: 'fixes', what: 'fixes applied to one file' },
  /** A `.gitignore` or `pyproject.toml` longer than this is refused. */
  configBytes: { value: 1_000_000, unit: 'bytes', what: 'a .gitignore or pyproject.toml' },
  /** A workspace file longer than this is not read for imports. */
  workspaceFileBytes: { value: 1_000_000, unit: 'bytes', what: 'a workspace file scanned for imports' },
  /** Files importing a document whose constructions of its classes are read. */
  importers: { value: 32, unit: 'files', what: 'importing files read per document' },
  /** The largest layer size InitLens computes with, so that every count and fan is an exact integer (2^53 − 1). */
  layerSize: { value: Number.MAX_SAFE_INTEGER, unit: 'per dimension', what: 'layer sizes' },
  /** Recurrent layers whose parameters are listed one by one; all of them are counted. */
  rnnLayersListed: { value: 1000, unit: 'layers', what: 'recurrent layers listed per module' },
  /** A hover computes the exact values of layers up to this size. */
  hoverLayerValues: { value: 4_000_000, unit: 'values', what: 'exact values in a hover' },
  /** Words a hover may draw or skip in PyTorch's stream to reach a layer (about 0.1 s). */
  hoverStreamWords: { value: 200_000_000, unit: 'random words', what: 'the stream a hover replays' },
  /** The histogram panel computes layers up to this size exactly with the WebAssembly kernels (128 MB, about 0.1 s). */
  panelExactValues: { value: 2 ** 25, unit: 'values', what: 'exact values in the panel' },
  /** … and up to this size with the scalar code (about half a second). */
  panelExactValuesScalar: { value: 4_000_000, unit: 'values', what: 'exact values in the panel (no WebAssembly SIMD here)' },
  /** Words the panel may draw or skip to reach a layer (about half a second with the WebAssembly kernels). */
  panelStreamWords: { value: 2 ** 30, unit: 'random words', what: 'the stream the panel replays' },
  /** Values the CLI computes in exact mode (`model`/`sample --torch-exact`): 256 MB of float32. */
  exactValues: { value: 2 ** 26, unit: 'values', what: 'exact mode' },
  /** Words the CLI's exact mode may draw or skip (about 10 s with the WebAssembly kernels). */
  exactStreamWords: { value: 2 ** 34, unit: 'random words', what: 'the stream exact mode replays' },
  /** `orthogonal_` is a dense QR: rows·cols·min(rows, cols) multiply-adds, about a second. */
  orthogonalWork: { value: 2 ** 28, unit: 'multiply-adds', what: 'orthogonal_ (rows·cols·min(rows, cols))' },
  /** Elements one histogram samples (1e9 take about 7 s, README "initlens sample"). */
  sampleElements: { value: 2 ** 30, unit: 'elements', what: 'a sampled tensor' },
  /** Elements the histogram panel's page generates and bins on its GPU at a time (each chunk's tensors, about 20 of 4 MB, are freed before the next). */
  panelGpuChunk: { value: 2 ** 20, unit: 'elements', what: "one chunk the panel's page samples on its GPU" },
  /** Under `auto`, smaller tensors stay in the extension host: its engine bins 2^20 values in about 30 ms, less than a round trip to the page and its shaders' compilation. */
  panelGpuMinElements: { value: 2 ** 20, unit: 'elements', what: "the smallest tensor the panel's page samples under auto" },
  /** How long the host waits for the page's GPU histogram (TensorFlow.js loads on the first) before it samples in the extension host instead. */
  panelGpuWait: { value: 120_000, unit: 'milliseconds', what: "the panel page's GPU histogram" },
  /** Histogram bins. */
  bins: { value: 10_000, unit: 'bins', what: 'a histogram' },
  /** Values the CLI prints per tensor (`--values N`). */
  printedValues: { value: 1_000_000, unit: 'values', what: '--values' },
  /** Elements of every intermediate value of one signal run together (the backward pass keeps them all): 512 MB of float32. */
  signalValues: { value: 2 ** 27, unit: 'values', what: 'the activations of a signal run' },
  /** Forward multiply-adds of one signal run's layers (backward costs about twice more): ResNet-18 at 8×3×224×224, about 1.5·10¹⁰, fits. */
  signalMultiplyAdds: { value: 2 ** 34, unit: 'multiply-adds', what: 'a signal run (forward)' },
  /** Forward multiply-adds of a model the advice measures with the signal engine (in the background, on the CPU: about 0.1 s on wasm); larger models keep the analytic gain. */
  adviceMultiplyAdds: { value: 2 ** 27, unit: 'multiply-adds', what: 'a measured advice run (forward)' },
  /** Parameters of a model the advice measures: their exact values are drawn first, in the extension host (about 0.3 s for 4·10⁶). */
  adviceWeights: { value: 2 ** 22, unit: 'values', what: 'the weights of a measured advice run' },
  /** Intermediate values of a model the advice measures (64 MB of float32). */
  adviceValues: { value: 2 ** 24, unit: 'values', what: 'the activations of a measured advice run' },
  /** Cell steps of a signal run's recurrent layers (time steps · layers · directions), each a handful of ops of its own: about a second per thousand on the cpu backend. */
  signalTimeSteps: { value: 16_384, unit: 'steps', what: "a signal run's recurrent layers (time steps · layers · directions)" },
  /** Weights of every scheme together that the Signal panel's host prepares and posts to its page (256 MB of float32: nine schemes of a 7M-parameter model). */
  signalPanelWeights: { value: 2 ** 26, unit: 'values', what: "the Signal panel's weights (every scheme)" },
  /** A `.npy` batch of inputs (`propagate --data`, the Signal panel's batch): its values must also fit `signalValues`, at 8 bytes each at most. */
  npyBatchBytes: { value: 2 ** 30 + 2 ** 16, unit: 'bytes', what: 'a .npy batch file' },
} as const satisfies Record<string, Limit>;

export type LimitKey = keyof typeof LIMITS;

const fmt = (n: number) => (Number.isSafeInteger(n) ? n.toLocaleString('en-US') : n.toExponential(2));

/** "the limit of 2,000,000 bytes for input files (setting …)", to end a sentence. */
export function limitText(key: LimitKey): string {
  const limit: Limit = LIMITS[key];
  return `the limit of ${fmt(limit.value)} ${limit.unit} for ${limit.what}${limit.setting ? ` (setting ${limit.setting})` : ''}`;
}

/** The one-line refusal for `amount` of `key` (e.g. "Linear fc: 400,000,000 values is above the limit of 67,108,864 values for exact mode"). */
export function limitMessage(key: LimitKey, amount: number, subject?: string): string {
  return `${subject ? `${subject}: ` : ''}${fmt(amount)} ${LIMITS[key].unit} is above ${limitText(key)}`;
}

/** Work refused before it started because it is above a {@link LIMITS} bound. */
export class LimitError extends RangeError {
  override readonly name = 'LimitError';
  constructor(
    readonly limit: LimitKey,
    readonly amount: number,
    readonly subject?: string,
  ) {
    super(limitMessage(limit, amount, subject));
  }
}

/** True when `amount` is above the limit (NaN and infinities count as above). */
export function exceeds(key: LimitKey, amount: number): boolean {
  return !(amount <= LIMITS[key].value);
}

/** Throws {@link LimitError} when `amount` is above the limit `key`. */
export function checkLimit(key: LimitKey, amount: number, subject?: string): void {
  if (exceeds(key, amount)) throw new LimitError(key, amount, subject);
}
