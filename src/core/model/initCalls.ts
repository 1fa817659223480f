/**
 * Initialization as written in code: `torch.nn.init.*_` calls (and their
 * deprecated spellings without the underscore), in-place tensor methods
 * (`w.data.normal_(0, 0.02)`, `fill_`, `zero_`), and Keras initializers given
 * by name (`"he_normal"`) or object (`initializers.RandomNormal(stddev=0.02)`).
 * Defaults are the libraries' own (`torch/nn/init.py`, `keras/src/initializers`).
 */
import { KERAS_PRESETS, NONLINEARITIES, type FanMode, type InitScheme, type Nonlinearity } from '../init/schemes';
import type { Value } from './evaluate';

/** Reads an argument by keyword or position, already evaluated. */
export type ArgReader = (name: string, position: number) => Value | undefined;

/** An argument's number: the default when absent, undefined when present but not a resolvable number. */
const num = (v: Value | undefined, fallback: number): number | undefined =>
  v === undefined ? fallback : typeof v === 'number' && !Number.isNaN(v) ? v : undefined;

function fanMode(v: Value | undefined): FanMode | undefined {
  if (v === undefined) return 'fan_in';
  return v === 'fan_in' || v === 'fan_out' ? v : undefined;
}

function nonlinearity(v: Value | undefined, fallback: Nonlinearity): Nonlinearity | undefined {
  if (v === undefined) return fallback;
  return typeof v === 'string' && (NONLINEARITIES as readonly string[]).includes(v) ? (v as Nonlinearity) : undefined;
}

/**
 * The scheme of a `torch.nn.init.<name>` call whose tensor is argument 0.
 * Returns `null` for a known function whose arguments cannot be resolved, and
 * undefined for names that are not initializers.
 */
export function torchInitScheme(name: string, read: ArgReader): InitScheme | null | undefined {
  const fn = name.endsWith('_') ? name.slice(0, -1) : name;
  const all = <T extends InitScheme>(s: { [K in keyof T]: T[K] | undefined }): T | null =>
    Object.values(s).some((v) => v === undefined || (typeof v === 'number' && Number.isNaN(v))) ? null : (s as T);
  switch (fn) {
    case 'uniform':
      return all({ kind: 'uniform', a: num(read('a', 1), 0), b: num(read('b', 2), 1) });
    case 'normal':
      return all({ kind: 'normal', mean: num(read('mean', 1), 0), std: num(read('std', 2), 1) });
    case 'trunc_normal':
      return all({ kind: 'trunc_normal', mean: num(read('mean', 1), 0), std: num(read('std', 2), 1), a: num(read('a', 3), -2), b: num(read('b', 4), 2) });
    case 'constant':
      return all({ kind: 'constant', value: num(read('val', 1), NaN) });
    case 'ones':
    case 'zeros':
    case 'eye':
      return { kind: fn };
    case 'dirac':
      return all({ kind: 'dirac', groups: num(read('groups', 1), 1) });
    case 'xavier_uniform':
    case 'xavier_normal':
      return all({ kind: fn, gain: num(read('gain', 1), 1) });
    case 'kaiming_uniform':
    case 'kaiming_normal':
      return all({ kind: fn, a: num(read('a', 1), 0), mode: fanMode(read('mode', 2)), nonlinearity: nonlinearity(read('nonlinearity', 3), 'leaky_relu') });
    case 'orthogonal':
      return all({ kind: 'orthogonal', gain: num(read('gain', 1), 1) });
    case 'sparse':
      return all({ kind: 'sparse', sparsity: num(read('sparsity', 1), NaN), std: num(read('std', 2), 0.01) });
    default:
      return undefined;
  }
}

/** The `torch.nn.init` functions (without their `_`) that draw from the generator; the others fill (`constant_`, `ones_`, `zeros_`, `eye_`, `dirac_`). */
export const DRAWING_INITS: ReadonlySet<string> = new Set(['uniform', 'normal', 'trunc_normal', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal', 'orthogonal', 'sparse']);

/** In-place tensor methods that draw from the tensor's generator. */
export const DRAWING_METHODS: ReadonlySet<string> = new Set(['normal_', 'uniform_', 'random_', 'exponential_', 'cauchy_', 'log_normal_', 'geometric_', 'bernoulli_']);

/** In-place tensor methods that initialize: `w.normal_(mean, std)`, `w.uniform_(a, b)`, `w.fill_(v)`, `w.zero_()`. */
export function tensorMethodScheme(method: string, read: ArgReader): InitScheme | null | undefined {
  switch (method) {
    case 'normal_': {
      const mean = num(read('mean', 0), 0);
      const std = num(read('std', 1), 1);
      return mean === undefined || std === undefined ? null : { kind: 'normal', mean, std };
    }
    case 'uniform_': {
      const a = num(read('from', 0), 0);
      const b = num(read('to', 1), 1);
      return a === undefined || b === undefined ? null : { kind: 'uniform', a, b };
    }
    case 'fill_': {
      const v = num(read('value', 0), NaN);
      return v === undefined || Number.isNaN(v) ? null : v === 0 ? { kind: 'zeros' } : { kind: 'constant', value: v };
    }
    case 'zero_':
      return { kind: 'zeros' };
    default:
      return undefined;
  }
}

/** Keras initializer names as strings (`kernel_initializer="he_normal"`). */
export function kerasInitializerName(name: string): InitScheme | undefined {
  const key = name.toLowerCase();
  if (key in KERAS_PRESETS) return KERAS_PRESETS[key as keyof typeof KERAS_PRESETS];
  switch (key) {
    case 'zeros':
      return { kind: 'zeros' };
    case 'ones':
      return { kind: 'ones' };
    case 'orthogonal':
      return { kind: 'orthogonal', gain: 1 };
    case 'identity':
      return { kind: 'eye' };
    case 'random_normal':
      return { kind: 'normal', mean: 0, std: 0.05 };
    case 'random_uniform':
    case 'uniform':
      return { kind: 'uniform', a: -0.05, b: 0.05 };
    case 'truncated_normal':
      return { kind: 'trunc_normal', mean: 0, std: 0.05, a: -0.1, b: 0.1 };
    default:
      return undefined;
  }
}

const KERAS_CLASSES: Record<string, string> = {
  GlorotUniform: 'glorot_uniform',
  GlorotNormal: 'glorot_normal',
  HeUniform: 'he_uniform',
  HeNormal: 'he_normal',
  LecunUniform: 'lecun_uniform',
  LecunNormal: 'lecun_normal',
  Zeros: 'zeros',
  Ones: 'ones',
  Identity: 'identity',
};

/** A Keras initializer object (`initializers.RandomNormal(stddev=0.02)`), by class name. */
export function kerasInitializerObject(cls: string, read: ArgReader): InitScheme | null | undefined {
  if (cls in KERAS_CLASSES) return kerasInitializerName(KERAS_CLASSES[cls]);
  switch (cls) {
    case 'RandomNormal': {
      const mean = num(read('mean', 0), 0);
      const std = num(read('stddev', 1), 0.05);
      return mean === undefined || std === undefined ? null : { kind: 'normal', mean, std };
    }
    case 'RandomUniform': {
      const a = num(read('minval', 0), -0.05);
      const b = num(read('maxval', 1), 0.05);
      return a === undefined || b === undefined ? null : { kind: 'uniform', a, b };
    }
    case 'TruncatedNormal': {
      // Keras cuts at two standard deviations from the mean.
      const mean = num(read('mean', 0), 0);
      const std = num(read('stddev', 1), 0.05);
      return mean === undefined || std === undefined ? null : { kind: 'trunc_normal', mean, std, a: mean - 2 * std, b: mean + 2 * std };
    }
    case 'Constant': {
      const v = num(read('value', 0), 0);
      return v === undefined ? null : v === 0 ? { kind: 'zeros' } : { kind: 'constant', value: v };
    }
    case 'Orthogonal': {
      const gain = num(read('gain', 0), 1);
      return gain === undefined ? null : { kind: 'orthogonal', gain };
    }
    case 'VarianceScaling': {
      const scale = num(read('scale', 0), 1);
      const mode = read('mode', 1) ?? 'fan_in';
      const distribution = read('distribution', 2) ?? 'truncated_normal';
      if (scale === undefined || (mode !== 'fan_in' && mode !== 'fan_out' && mode !== 'fan_avg')) return null;
      const dist = distribution === 'normal' ? 'truncated_normal' : distribution;
      if (dist !== 'truncated_normal' && dist !== 'untruncated_normal' && dist !== 'uniform') return null;
      return { kind: 'variance_scaling', scale, mode, distribution: dist };
    }
    default:
      return undefined;
  }
}

/** A short human label for a scheme (`kaiming_normal_(relu)`, `normal_(0, 0.02)`). */
export function schemeLabel(s: InitScheme, framework: 'torch' | 'keras' = 'torch'): string {
  const u = framework === 'torch' ? '_' : '';
  const n = (x: number) => String(Number(x.toPrecision(6)));
  switch (s.kind) {
    case 'uniform':
      return `uniform${u}(${n(s.a)}, ${n(s.b)})`;
    case 'normal':
      return `normal${u}(${n(s.mean)}, ${n(s.std)})`;
    case 'trunc_normal':
      return `trunc_normal${u}(${n(s.mean)}, ${n(s.std)}, [${n(s.a)}, ${n(s.b)}])`;
    case 'constant':
      return `constant${u}(${n(s.value)})`;
    case 'ones':
    case 'zeros':
    case 'eye':
      return `${s.kind}${u}`;
    case 'dirac':
      return `dirac${u}`;
    case 'xavier_uniform':
    case 'xavier_normal':
    case 'orthogonal':
      return s.gain === 1 ? `${s.kind}${u}` : `${s.kind}${u}(gain=${n(s.gain)})`;
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      const parts: string[] = [s.nonlinearity];
      if (s.a !== 0) parts.push(`a=${Math.abs(s.a - Math.sqrt(5)) < 1e-12 ? '√5' : n(s.a)}`);
      if (s.mode !== 'fan_in') parts.push(s.mode);
      return `${s.kind}${u}(${parts.join(', ')})`;
    }
    case 'sparse':
      return `sparse${u}(${n(s.sparsity)})`;
    case 'variance_scaling': {
      const preset = Object.entries(KERAS_PRESETS).find(([, p]) => p.scale === s.scale && p.mode === s.mode && p.distribution === s.distribution);
      return preset ? preset[0] : `VarianceScaling(${n(s.scale)}, ${s.mode}, ${s.distribution})`;
    }
  }
}
