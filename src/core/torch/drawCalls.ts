/**
 * How one sampling call of the document (`torch.randn(64, 10)`,
 * `torch.randint(0, 10, (5,))`, `torch.empty(3, 4).normal_()`) advances the
 * torch CPU stream, where its arguments say so: exact mode replays it between
 * the seed and a model (src/core/torch/program.ts), instead of losing the
 * stream there. PyTorch 1.13's CPU kernels (spec §4–§6):
 * - `randn` / `normal(mean, std, size)` / `.normal_()`: `normal_` on a fresh
 *   tensor, float32 (`normal_fill` from 16 elements) or float64;
 * - `rand` / `.uniform_()`: `uniform_`, one word per float32, two per float64;
 * - `randint(low, high, size)`: `random_from_to`, one `random()` per element
 *   below a range of 2^32, one `random64()` (two words) above;
 * - `randperm(n)`: n − 1 words.
 * A draw on another generator (`generator=g`) or device (`device='cuda'`)
 * leaves the CPU stream alone. Anything else (`randn_like`, a size or dtype
 * not known here) has no replay, and says why.
 */
import type { SyntaxNode } from '../python/parse';
import { callArgs, unwrap, type CallArgs } from '../python/syntax';
import { evaluate, type Scope, type Value } from '../model/evaluate';
import { exceeds, limitMessage } from '../limits';
import type { TorchGenerator } from './generator';

export type DrawReplay = { readonly replay: (gen: TorchGenerator) => void } | { readonly reason: string };

/** The keywords that do not change what a factory draws. */
const NEUTRAL = new Set(['requires_grad', 'layout', 'pin_memory', 'memory_format', 'names']);

/** The float dtypes the CPU kernels are replayed for, by how they are written. */
const FLOAT_DTYPES: Readonly<Record<string, 32 | 64>> = { 'torch.float32': 32, 'torch.float': 32, 'torch.float64': 64, 'torch.double': 64 };

/** Factories that draw nothing: the receivers of `.normal_()` / `.uniform_()` replayed here. */
const EMPTY_FACTORIES = new Set(['torch.empty', 'torch.zeros', 'torch.ones']);

/** Drawing tensor methods replayed on a fresh factory tensor, with their default arguments. */
const METHODS: Readonly<Record<string, { readonly kind: 'normal' | 'uniform'; readonly params: readonly [string, string]; readonly defaults: readonly [number, number] }>> = {
  normal_: { kind: 'normal', params: ['mean', 'std'], defaults: [0, 1] },
  uniform_: { kind: 'uniform', params: ['from', 'to'], defaults: [0, 1] },
};

const ok = (replay: (gen: TorchGenerator) => void): DrawReplay => ({ replay });
const no = (reason: string): DrawReplay => ({ reason });

/**
 * The replay of a call of `qualified` (a `torch.` sampling function) at `call`,
 * its names read in `scope` (the module's constants at module level; nothing
 * inside a class, where parameters and locals may shadow them).
 */
export function factoryReplay(qualified: string, call: SyntaxNode, text: string, scope: Scope): DrawReplay {
  const list = call.getChild('ArgList');
  if (!list) return no('its arguments are not known');
  const args = callArgs(list, text);
  if (args.hasStarred) return no('its arguments are spread (*args)');
  const elsewhere = otherStream(args, text, scope);
  if (elsewhere === 'unknown') return no('its generator or device is not known here');
  if (elsewhere) return ok(() => undefined);
  const fn = qualified.slice('torch.'.length);
  const known = (names: readonly string[]) => [...args.keywords.keys()].find((k) => !names.includes(k) && !NEUTRAL.has(k) && k !== 'generator' && k !== 'device' && k !== 'dtype');
  const value = (node: SyntaxNode | undefined) => (node ? evaluate(node, text, scope) : undefined);
  switch (fn) {
    case 'randn':
    case 'rand': {
      const extra = known(['size']);
      if (extra) return no(`its ${extra}= argument is not replayed`);
      const n = numel(args.keywords.has('size') ? [value(args.keywords.get('size'))] : args.positional.map(value));
      return floats(fn === 'randn' ? 'normal' : 'uniform', n, floatBits(args, text), 0, 1);
    }
    case 'normal': {
      const extra = known(['mean', 'std', 'size']);
      if (extra) return no(`its ${extra}= argument is not replayed`);
      const mean = value(args.keywords.get('mean') ?? args.positional[0]);
      const std = value(args.keywords.get('std') ?? args.positional[1]);
      const size = args.keywords.get('size') ?? args.positional[2];
      if (typeof mean !== 'number' || typeof std !== 'number' || !size) return no('its mean, std or size is a tensor or not known here');
      return floats('normal', numel([value(size)]), floatBits(args, text), mean, std);
    }
    case 'randint': {
      const extra = known(['low', 'high', 'size']);
      if (extra) return no(`its ${extra}= argument is not replayed`);
      // randint(high, size) or randint(low, high, size), any of them by keyword.
      const p = args.positional;
      const three = p.length >= 3 || args.keywords.has('low') || (p.length === 2 && args.keywords.has('size'));
      const low = three ? value(args.keywords.get('low') ?? p[0]) : 0;
      const high = value(args.keywords.get('high') ?? p[three ? 1 : 0]);
      const size = args.keywords.get('size') ?? p[three ? 2 : 1];
      if (typeof low !== 'number' || typeof high !== 'number' || !Number.isInteger(low) || !Number.isInteger(high) || !size) return no('its bounds or size are not known here');
      if (high <= low) return no(`randint's range [${low}, ${high}) is empty`);
      const n = numel([value(size)]);
      if (typeof n === 'string') return no(n);
      const words = (high - low >= 2 ** 32 ? 2 : 1) * n;
      return ok((gen) => gen.advance(words));
    }
    case 'randperm': {
      const extra = known(['n']);
      if (extra) return no(`its ${extra}= argument is not replayed`);
      const n = value(args.keywords.get('n') ?? args.positional[0]);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return no('its n is not known here');
      const bounded = bound(n);
      if (bounded) return no(bounded);
      return ok((gen) => gen.advance(Math.max(0, n - 1)));
    }
    default:
      return no(fn.endsWith('_like') ? 'its shape comes from another tensor' : `torch.${fn}'s draws depend on a tensor's values`);
  }
}

/**
 * The replay of `receiver.method(...)` (`torch.empty(3, 4).normal_(0, 0.02)`)
 * when the receiver is a fresh float tensor of a size known here.
 */
export function methodReplay(method: string, call: SyntaxNode, text: string, scope: Scope): DrawReplay {
  const spec = METHODS[method];
  const callee = call.firstChild;
  const receiver = callee?.firstChild ? unwrap(callee.firstChild) : undefined;
  if (!spec || receiver?.name !== 'CallExpression') return no('its tensor is not made here');
  const factory = receiver.firstChild ? text.slice(receiver.firstChild.from, receiver.firstChild.to).replace(/\s+/g, '') : '';
  const inner = receiver.getChild('ArgList');
  if (!EMPTY_FACTORIES.has(factory) || !inner) return no('its tensor is not made here by torch.empty, zeros or ones');
  const made = callArgs(inner, text);
  if (made.hasStarred || [...made.keywords.keys()].some((k) => !NEUTRAL.has(k) && k !== 'dtype' && k !== 'device')) return no('its tensor\'s arguments are not replayed');
  const device = otherStream(made, text, scope);
  if (device === 'unknown') return no('its device is not known here');
  if (device) return ok(() => undefined);
  const n = numel(made.positional.map((a) => evaluate(a, text, scope)));
  const bits = floatBits(made, text);
  if (typeof n === 'string') return no(n);
  if (typeof bits === 'string') return no(bits);
  const list = call.getChild('ArgList');
  const args = list ? callArgs(list, text) : undefined;
  if (!args || args.hasStarred || [...args.keywords.keys()].some((k) => !spec.params.includes(k) && k !== 'generator')) return no('its arguments are not replayed');
  const elsewhere = otherStream(args, text, scope);
  if (elsewhere === 'unknown') return no('its generator is not known here');
  if (elsewhere) return ok(() => undefined);
  const [p, q] = methodArguments(spec, args, text, scope);
  if (typeof p !== 'number' || typeof q !== 'number') return no('its arguments are not known here');
  return floats(spec.kind, n, bits, p, q);
}

/** The two arguments of `.normal_(mean, std)` / `.uniform_(from, to)`, their defaults where not given. */
function methodArguments(spec: (typeof METHODS)[string], args: CallArgs, text: string, scope: Scope): (Value | undefined)[] {
  return spec.params.map((name, i) => {
    const node = args.keywords.get(name) ?? args.positional[i];
    return node ? evaluate(node, text, scope) : spec.defaults[i];
  });
}

/** PyTorch's own checks of a normal's std and a uniform's range: why it rejects the call, or undefined. */
function rejected(kind: 'normal' | 'uniform', p: number, q: number): string | undefined {
  if (kind === 'normal' && !(q >= 0)) return `normal expects std >= 0.0, but found std ${q}`;
  if (kind === 'uniform' && !(p <= q)) return `uniform_ expects to return a [from, to) range, but found from=${p} > to=${q}`;
  return undefined;
}

/**
 * The values of a float32 sampling call whose shape the analysis gives
 * (`nn.Parameter(torch.randn(num_patches + 1, dim))` in one instance's
 * context: core/model/members.ts): `torch.randn` / `torch.rand` (no other
 * keywords than dtype float32 and neutral ones), or `torch.empty/zeros/ones(...)`
 * then `.normal_(mean, std)` / `.uniform_(a, b)` with numbers written there.
 * Draws the values from `gen` as PyTorch's CPU kernel does; a string says why not.
 */
export function shapedSample(qualified: string | undefined, call: SyntaxNode, text: string, shape: readonly number[]): ((gen: TorchGenerator) => Float32Array) | string {
  const n = numel([shape as Value]);
  if (typeof n === 'string') return n;
  const list = call.getChild('ArgList');
  const args = list ? callArgs(list, text) : undefined;
  if (!args || args.hasStarred) return 'its arguments are not known';
  const sample = (kind: 'normal' | 'uniform', p: number, q: number) => (gen: TorchGenerator) => {
    const skip = gen.skipValues;
    gen.skipValues = false;
    try {
      return kind === 'normal' ? gen.normal32(n, p, q) : gen.uniform32(n, p, q);
    } finally {
      gen.skipValues = skip;
    }
  };
  if (qualified === 'torch.randn' || qualified === 'torch.rand') {
    const other = [...args.keywords.keys()].find((k) => !NEUTRAL.has(k) && k !== 'size' && k !== 'dtype');
    if (other) return `its ${other}= argument is not replayed`;
    if (floatBits(args, text) !== 32) return 'it is not float32';
    return sample(qualified === 'torch.randn' ? 'normal' : 'uniform', 0, 1);
  }
  const method = call.firstChild?.lastChild;
  const spec = method?.name === 'PropertyName' ? METHODS[text.slice(method.from, method.to)] : undefined;
  const receiver = call.firstChild?.firstChild ? unwrap(call.firstChild.firstChild) : undefined;
  const factory = receiver?.name === 'CallExpression' && receiver.firstChild ? text.slice(receiver.firstChild.from, receiver.firstChild.to).replace(/\s+/g, '') : '';
  const made = receiver?.getChild('ArgList') ? callArgs(receiver.getChild('ArgList')!, text) : undefined;
  if (!spec || !EMPTY_FACTORIES.has(factory) || !made || made.hasStarred || [...made.keywords.keys()].some((k) => !NEUTRAL.has(k) && k !== 'dtype') || floatBits(made, text) !== 32) return 'its tensor is not made here by torch.empty, zeros or ones in float32';
  if ([...args.keywords.keys()].some((k) => !spec.params.includes(k))) return 'its arguments are not replayed';
  const [p, q] = methodArguments(spec, args, text, new Map());
  if (typeof p !== 'number' || typeof q !== 'number') return 'its arguments are not numbers written there';
  return rejected(spec.kind, p, q) ?? sample(spec.kind, p, q);
}

/** The replay of `n` float draws (a string: why the size or dtype is not known); their values are skipped (only the stream position matters here). */
function floats(kind: 'normal' | 'uniform', n: number | string, bits: 32 | 64 | string, p: number, q: number): DrawReplay {
  if (typeof n === 'string') return no(n);
  if (typeof bits === 'string') return no(bits);
  // PyTorch's own argument checks, so that a call PyTorch rejects is no replay either.
  const rejection = rejected(kind, p, q);
  if (rejection) return no(rejection);
  return ok((gen) => {
    const skip = gen.skipValues;
    gen.skipValues = true;
    try {
      if (kind === 'normal') {
        if (bits === 32) gen.normal32(n, p, q);
        else gen.normal64(n, p, q);
      } else if (bits === 32) gen.uniform32(n, p, q);
      else gen.uniform64(n, p, q);
    } finally {
      gen.skipValues = skip;
    }
  });
}

/** The number of elements of a size given as one sequence, one integer, or several integers; a string says why it is not known. */
function numel(parts: readonly (Value | undefined)[]): number | string {
  const dims = parts.length === 1 && Array.isArray(parts[0]) ? (parts[0] as readonly Value[]) : parts;
  if (!dims.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0)) return 'its size is not known here';
  const n = dims.reduce((a, b) => a * b, 1);
  return bound(n) ?? n;
}

/** Why `n` values are too many to replay before a model (the stream budget), or undefined. */
function bound(n: number): string | undefined {
  return exceeds('exactStreamWords', n) ? limitMessage('exactStreamWords', n) : undefined;
}

/** The bits of the float tensor a factory makes: float32 by default, float64 when asked; a string says why not. */
function floatBits(args: CallArgs, text: string): 32 | 64 | string {
  const dtype = args.keywords.get('dtype');
  if (!dtype) return 32;
  const written = text.slice(dtype.from, dtype.to).replace(/\s+/g, '');
  // Document text in a message: at most 60 characters of it.
  return FLOAT_DTYPES[written] ?? `its dtype ${written.length > 60 ? `${written.slice(0, 59)}…` : written} is not replayed`;
}

/**
 * Whether a call draws from a stream other than the CPU default generator:
 * true for `generator=<some generator>` or a CUDA/MPS device, false for none
 * of those (or `generator=None`, `device='cpu'`), 'unknown' when its device or
 * generator is a name InitLens cannot read.
 */
function otherStream(args: CallArgs, text: string, scope: Scope): boolean | 'unknown' {
  const generator = args.keywords.get('generator');
  if (generator) {
    const written = text.slice(generator.from, generator.to).replace(/\s+/g, '');
    if (written !== 'None' && written !== 'torch.default_generator') return true;
  }
  const device = args.keywords.get('device');
  if (!device) return false;
  const n = unwrap(device);
  const callee = n.name === 'CallExpression' && n.firstChild ? text.slice(n.firstChild.from, n.firstChild.to).replace(/\s+/g, '') : '';
  const inner = callee === 'torch.device' ? n.getChild('ArgList') : null;
  const given = inner ? callArgs(inner, text).positional[0] : n;
  const v = given ? evaluate(given, text, scope) : undefined;
  if (typeof v !== 'string') return 'unknown';
  const kind = v.split(':')[0];
  return kind === 'cpu' ? false : kind === 'cuda' || kind === 'mps' ? true : 'unknown';
}
