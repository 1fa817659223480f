/**
 * A scheme's weights as the Signal page forms them (issue 13: the first chart
 * within 500 ms of the click). The message channel of a webview carries a
 * megabyte in about a quarter of a second, and nearly all of a job is its
 * weights; most of them are one bulk draw of PyTorch's generator (a default
 * `Linear`'s `kaiming_uniform_`, `xavier_normal_`, …) or a constant (a zero
 * bias). The host sends those as the draw (seed, stream position, arguments:
 * a few numbers) or the constant, and the page forms them with the same
 * generator code (core/torch/generator.ts) before its run. Everything else
 * (orthogonal, truncated normal, a batch-dependent value) goes as values.
 * The host forms every draw it sends, as the page will, and keeps only those
 * whose bits equal its own; each carries a hash of those bits, which the page
 * checks, so a difference could never pass unseen.
 */
import { bulkDrawOf, TorchGenerator } from '../torch/generator';

/** How the page forms one tensor: a bulk draw of the generator, or one value repeated. */
export type WeightForm =
  | { readonly kind: 'uniform' | 'normal'; readonly n: number; readonly seed: string; readonly at: number; readonly p: number; readonly q: number; readonly hash: number }
  | { readonly kind: 'fill'; readonly n: number; readonly value: number; readonly hash: number };

/** One tensor of a run as it crosses the channel: its values, or how to form them. */
export type SentWeight = { readonly name: string; readonly values: Float32Array } | { readonly name: string; readonly form: WeightForm };

/** Fewest values worth a form (smaller tensors go as values: the form is about as large). */
const MIN_FORMED = 16;

/** FNV-1a over the float32 bit patterns: a check, not a security measure (the host is trusted). */
export function bitsHash(values: Float32Array): number {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    h = Math.imul(h ^ (w & 0xff), 0x01000193);
    h = Math.imul(h ^ ((w >>> 8) & 0xff), 0x01000193);
    h = Math.imul(h ^ ((w >>> 16) & 0xff), 0x01000193);
    h = Math.imul(h ^ (w >>> 24), 0x01000193);
  }
  return h >>> 0;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A form for `values` if one may stand for them (checked by {@link sendWeights}), hash not yet known. */
function candidate(values: Float32Array): WeightForm | undefined {
  if (values.length < MIN_FORMED) return undefined;
  const draw = bulkDrawOf(values);
  if (draw) return { kind: draw.kind, n: draw.n, seed: draw.seed.toString(), at: draw.at, p: draw.p, q: draw.q, hash: 0 };
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const first = bits[0];
  for (let i = 1; i < bits.length; i++) if (bits[i] !== first) return undefined;
  return { kind: 'fill', n: values.length, value: values[0], hash: 0 };
}

/**
 * The tensors `weights` as the host sends them: a form where the page's
 * {@link formWeights} gives the very bits of `weights`, the values elsewhere.
 */
export function sendWeights(weights: Iterable<readonly [string, Float32Array]>): SentWeight[] {
  const all = [...weights];
  const forms = all.map(([, values]) => candidate(values));
  const named = all.flatMap(([name], i) => (forms[i] ? [{ name, form: forms[i] }] : []));
  // The page's own forming, run here: what it would make.
  const made = formed(named);
  return all.map(([name, values], i) => {
    const form = forms[i];
    const mine = form && made.get(name);
    return form && mine && sameBits(mine, values) ? { name, form: { ...form, hash: bitsHash(values) } } : { name, values };
  });
}

/**
 * The values of each tensor, formed where a form was sent; throws when a
 * formed tensor's bits do not hash as the host's did.
 */
export function formWeights(sent: readonly SentWeight[]): Map<string, Float32Array> {
  const made = formed(sent.flatMap((w) => ('form' in w ? [w] : [])));
  const out = new Map<string, Float32Array>();
  for (const w of sent) {
    if ('values' in w) {
      out.set(w.name, w.values);
      continue;
    }
    const values = made.get(w.name) as Float32Array;
    if (bitsHash(values) !== w.form.hash) throw new Error(`${w.name}: the weights formed here differ from the extension's (hash ${bitsHash(values).toString(16)}, expected ${w.form.hash.toString(16)})`);
    out.set(w.name, values);
  }
  return out;
}

/** Forms each tensor: the draws of one stream in stream order, from one generator, each skipping to its position. */
function formed(forms: readonly { readonly name: string; readonly form: WeightForm }[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const draws: { name: string; form: Extract<WeightForm, { kind: 'uniform' | 'normal' }> }[] = [];
  for (const { name, form } of forms) {
    if (form.kind === 'fill') out.set(name, new Float32Array(form.n).fill(form.value));
    else draws.push({ name, form });
  }
  draws.sort((x, y) => (x.form.seed === y.form.seed ? x.form.at - y.form.at : x.form.seed < y.form.seed ? -1 : 1));
  let gen: TorchGenerator | undefined;
  let seed: string | undefined;
  for (const { name, form } of draws) {
    if (!gen || seed !== form.seed || gen.draws > form.at) {
      gen = new TorchGenerator(BigInt(form.seed));
      seed = form.seed;
    }
    gen.advance(form.at - gen.draws);
    out.set(name, form.kind === 'uniform' ? gen.uniform32(form.n, form.p, form.q) : gen.normal32(form.n, form.p, form.q));
  }
  return out;
}
