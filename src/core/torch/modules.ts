/**
 * Default initialization of `torch.nn` modules on the emulated generator:
 * the layer table (`core/model/catalog.ts`) gives each module's tensors, their
 * default schemes and the order the constructor draws them in (spec §8);
 * this replays those draws and returns the tensors in `named_parameters()`
 * order.
 */
import { LimitError } from '../limits';
import { lookupLayer, sizeProblems, type LayerSpec } from '../model/catalog';
import { isKnown, showDim, type Value } from '../model/evaluate';
import { ExactInitError, filled, initTensor, type ExactTensor } from './init';
import type { TorchGenerator } from './generator';

/** One parameter of a module, named as in `state_dict()` relative to the module. */
export interface ExactParam extends ExactTensor {
  readonly name: string;
}

/** Constructor arguments by name (positional ones already mapped to their names). */
export type ModuleArgs = Readonly<Record<string, Value | undefined>>;

/** Schemes that fill a tensor without drawing. */
const CONSTANT: ReadonlySet<string> = new Set(['constant', 'ones', 'zeros', 'eye', 'dirac']);

/** The table entry of a `torch.nn` module type, when InitLens knows it (emulated unless the entry says `notEmulated`). */
export function torchModule(type: string): LayerSpec | undefined {
  return lookupLayer(`torch.nn.${type}`);
}

/**
 * Builds one module right where `gen` stands, drawing what its constructor
 * draws, and returns its parameters in `named_parameters()` order. Throws
 * {@link ExactInitError} when a size is unknown or invalid, or the type is
 * not known; {@link LimitError} before drawing when the module is beyond a
 * limit (the generator's word budget, or a stack deeper than the table lists).
 */
export function moduleParameters(gen: TorchGenerator, type: string, args: ModuleArgs): ExactParam[] {
  const spec = torchModule(type);
  if (!spec) throw new ExactInitError(`${type} is not emulated`);
  if (spec.notEmulated) throw new ExactInitError(spec.notEmulated);
  const full = new Map<string, Value | undefined>(Object.entries(args));
  for (const [key, value] of Object.entries(spec.defaults)) if (!full.has(key)) full.set(key, value);
  const why = spec.exactProblem?.(full);
  if (why) throw new ExactInitError(why);
  const problem = sizeProblems(spec, full)[0];
  if (problem) throw new ExactInitError(problem.message);
  // Present but unknown (a symbolic size): a default must not stand in for it.
  for (const arg of Object.keys(spec.sizes)) if (full.has(arg) && full.get(arg) === undefined) throw new ExactInitError(`${arg} is not known`);
  const specs = spec.params(full);
  const shapes = specs.map((p) => {
    const unknown = p.shape.find((x) => !isKnown(x));
    if (unknown !== undefined) throw new ExactInitError(`${showDim(unknown)} is not known`);
    return p.shape as number[];
  });
  const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const listed = shapes.reduce((a, s) => a + BigInt(numel(s)), 0n);
  const counted = spec.count?.(full);
  if (counted !== undefined && counted !== listed) throw new LimitError('rnnLayersListed', Number(full.get('num_layers')));
  // At least one word per drawn value: refuse a module beyond the budget before building any of it.
  gen.reserve(specs.reduce((a, p, i) => a + (!p.copyOf && (p.drawn || (p.init && !CONSTANT.has(p.init.kind))) ? numel(shapes[i]) : 0), 0));
  const out: ExactParam[] = new Array(specs.length);
  // Stable: equal steps keep the table's order.
  const order = specs.map((_, i) => i).sort((a, b) => (specs[a].step ?? 0) - (specs[b].step ?? 0));
  for (const i of order) {
    const p = specs[i];
    // A deep copy draws nothing: filled in below from its original.
    if (p.copyOf) continue;
    const shape = shapes[i];
    const first = p.drawn ?? p.init;
    if (!first) {
      out[i] = { name: p.name, shape, values: filled(gen, numel(shape), 0), exact: false, reason: `${p.name}: ${p.label}` };
      continue;
    }
    let t = initTensor(gen, first, shape);
    // The overwrite (constant_(out_proj.bias, 0)) draws nothing; the draws above were consumed all the same.
    if (p.drawn && p.init) t = initTensor(gen, p.init, shape);
    if (p.zeroRow !== undefined && t.values.length > 0) t.values.fill(0, p.zeroRow * shape[1], (p.zeroRow + 1) * shape[1]);
    out[i] = { ...t, name: p.name };
  }
  copyTensors(specs, out);
  return out;
}

/** The tensors that are deep copies of another ({@link ParamSpec.copyOf}: nn.TransformerEncoder's layers.<i> of layers.0) get its values. */
function copyTensors(specs: readonly { readonly name: string; readonly copyOf?: string }[], out: ExactParam[]): void {
  const byName = new Map(out.filter((p) => p !== undefined).map((p) => [p.name, p]));
  specs.forEach((p, i) => {
    const original = p.copyOf ? byName.get(p.copyOf) : undefined;
    if (!p.copyOf) return;
    if (!original) throw new ExactInitError(`${p.name}: the tensor it copies, ${p.copyOf}, is not built`);
    out[i] = { ...original, name: p.name, values: original.values.slice() };
  });
}
