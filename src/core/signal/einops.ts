/**
 * einops' `rearrange`, `repeat` and `reduce` (and the layers `Rearrange`,
 * `Repeat`, `Reduce` of `einops.layers.torch`), as the steps of the signal
 * graph they are: einops 0.x turns a pattern into one reshape to the
 * elementary axes, a reduction, a transpose, the new axes of `repeat`
 * broadcast, and one reshape to the output's groups; their values are those
 * of these tensor ops (lucidrains' ViTs: `Rearrange('b c (h p1) (w p2) -> b (h w)
 * (p1 p2 c)', p1 = 32, p2 = 32)`, `repeat(cls_token, '1 1 d -> b 1 d', b = b)`).
 *
 * Patterns: names, parenthesised groups, one `...` per side (not inside a
 * group), `1` and `()` for axes of size 1. Sizes come from the input and from
 * the keywords; a group with one unknown size infers it. Anything else is a
 * reason, in einops' own terms where it has them.
 */
import type { Shape } from './graph';

/** One graph step of a planned einops call. */
export type EinopsStep =
  | { readonly kind: 'reshape'; readonly shape: Shape }
  | { readonly kind: 'transpose'; readonly perm: readonly number[]; readonly shape: Shape }
  | { readonly kind: 'mean'; readonly axes: readonly number[]; readonly shape: Shape }
  | { readonly kind: 'broadcast'; readonly shape: Shape };

export type EinopsFunction = 'rearrange' | 'repeat' | 'reduce';

/** The patterns InitLens reads (einops' own limit on a pattern's length is far above). */
const MAX_PATTERN = 400;
/** Reductions the graph has an op for. */
const REDUCTIONS = new Set(['mean']);

type Group = readonly string[];

interface Side {
  readonly groups: readonly Group[];
  /** Index of the `...` group, or -1. */
  readonly ellipsis: number;
}

/** The groups of one side of a pattern; a string says why it is not read. */
function parseSide(text: string): Side | string {
  const groups: string[][] = [];
  let open: string[] | undefined;
  let ellipsis = -1;
  const tokens = text.match(/\.\.\.|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S/g) ?? [];
  for (const t of tokens) {
    if (t === '(') {
      if (open) return 'nested parentheses';
      open = [];
    } else if (t === ')') {
      if (!open) return 'an unbalanced parenthesis';
      groups.push(open);
      open = undefined;
    } else if (t === '...') {
      if (open) return '`...` inside parentheses is not simulated';
      if (ellipsis >= 0) return 'more than one `...` on a side';
      ellipsis = groups.length;
      groups.push(['...']);
    } else if (/^\d+$/.test(t)) {
      if (t !== '1') return `the anonymous axis ${t} is not simulated`;
      if (open) continue;
      groups.push([]);
    } else if (/^[A-Za-z_]/.test(t)) {
      if (open) open.push(t);
      else groups.push([t]);
    } else return `\`${t}\` is not part of an einops pattern`;
  }
  if (open) return 'an unbalanced parenthesis';
  const names = groups.flat().filter((n) => n !== '...');
  if (new Set(names).size !== names.length) return 'an axis is named twice on one side';
  return { groups, ellipsis };
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * The steps of `fn(x, pattern, **sizes)` on an input of shape `input`
 * (`reduction` for `reduce`), and the output's shape; a string says why not.
 */
export function einopsPlan(fn: EinopsFunction, pattern: string, input: Shape, sizes: ReadonlyMap<string, number>, reduction?: string): { readonly steps: readonly EinopsStep[]; readonly shape: Shape } | string {
  if (pattern.length > MAX_PATTERN) return `a pattern of more than ${MAX_PATTERN} characters`;
  const arrow = pattern.split('->');
  if (arrow.length !== 2) return 'a pattern without one `->`';
  const left = parseSide(arrow[0]);
  const right = parseSide(arrow[1]);
  if (typeof left === 'string') return left;
  if (typeof right === 'string') return right;
  if (fn === 'reduce' && !REDUCTIONS.has(reduction ?? '')) return `the reduction ${reduction === undefined ? '(not known)' : `'${reduction.slice(0, 20)}'`} is not simulated (mean is)`;
  if ((left.ellipsis >= 0) !== (right.ellipsis >= 0)) return '`...` on one side only';
  // The ellipsis stands for as many axes as the input has beyond the other groups.
  const extra = input.length - (left.groups.length - (left.ellipsis >= 0 ? 1 : 0));
  if (left.ellipsis >= 0 ? extra < 0 : extra !== 0) return `the pattern has ${left.groups.length} groups on its left, the input ${input.length} axes (${input.join('×')})`;
  const dots = Array.from({ length: Math.max(0, extra) }, (_, i) => `...${i}`);
  const expand = (side: Side) => side.groups.flatMap((g, i) => (i === side.ellipsis ? dots.map((d) => [d]) : [g]));
  const lefts = expand(left);
  const rights = expand(right);
  for (const [k, v] of sizes) if (!Number.isInteger(v) || v < 1) return `${k} = ${v} is not a positive integer`;
  // Elementary axes of the left side, their sizes known or inferred per group.
  const size = new Map<string, number>();
  for (const [g, group] of lefts.entries()) {
    const dim = input[g];
    const known = group.filter((n) => sizes.has(n));
    const unknown = group.filter((n) => !sizes.has(n));
    if (unknown.length > 1) return `the sizes of ${unknown.join(', ')} in one group are not known`;
    const knownProduct = product(known.map((n) => sizes.get(n) as number));
    if (unknown.length === 1) {
      if (dim % knownProduct !== 0) return `axis ${g} of size ${dim} does not split into ${known.join('·')} = ${knownProduct}`;
      size.set(unknown[0], dim / knownProduct);
    } else if (knownProduct !== dim) return `axis ${g} has size ${dim}, the pattern ${knownProduct}`;
    for (const n of known) size.set(n, sizes.get(n) as number);
    if (group.length === 1 && group[0].startsWith('...')) size.set(group[0], dim);
  }
  const elementary = lefts.flat();
  const outNames = rights.flat();
  const inSet = new Set(elementary);
  const outSet = new Set(outNames);
  const reduced = elementary.filter((n) => !outSet.has(n));
  const added = outNames.filter((n) => !inSet.has(n));
  if (fn !== 'reduce' && reduced.length > 0) return `${reduced.join(', ')} on the left only (that is reduce)`;
  if (fn !== 'repeat' && added.length > 0) return `${added.join(', ')} on the right only (that is repeat)`;
  for (const n of added) {
    const s = sizes.get(n);
    if (s === undefined) return `the size of the new axis ${n} is not known`;
    size.set(n, s);
  }
  const steps: EinopsStep[] = [];
  let shape: readonly number[] = input;
  // Reshapes in a row are one; one to the shape already there is none.
  let before: readonly number[] = input;
  const push = (step: EinopsStep) => {
    if (step.kind === 'reshape' && steps[steps.length - 1]?.kind === 'reshape') steps.pop();
    else before = shape;
    if (step.kind === 'reshape' && step.shape.join(',') === before.join(',')) shape = before;
    else {
      steps.push(step);
      shape = step.shape;
    }
  };
  const sizesOf = (names: readonly string[]) => names.map((n) => size.get(n) as number);
  // 1. The elementary axes.
  let order = elementary;
  if (sizesOf(order).join(',') !== shape.join(',')) push({ kind: 'reshape', shape: sizesOf(order) });
  // 2. The reduction.
  if (reduced.length > 0) {
    const kept = order.filter((n) => !reduced.includes(n));
    push({ kind: 'mean', axes: reduced.map((n) => order.indexOf(n)), shape: sizesOf(kept) });
    order = kept;
  }
  // 3. The right side's order of the axes there are.
  const wanted = outNames.filter((n) => inSet.has(n));
  const perm = wanted.map((n) => order.indexOf(n));
  if (perm.some((p, i) => p !== i)) push({ kind: 'transpose', perm, shape: sizesOf(wanted) });
  // 4. The new axes, broadcast.
  if (added.length > 0) {
    push({ kind: 'reshape', shape: outNames.map((n) => (inSet.has(n) ? (size.get(n) as number) : 1)) });
    push({ kind: 'broadcast', shape: sizesOf(outNames) });
  }
  // 5. The output's groups.
  const out = rights.map((g) => product(sizesOf(g)));
  if (out.join(',') !== shape.join(',')) push({ kind: 'reshape', shape: out });
  return { steps, shape: out };
}

/**
 * An input shape for a model whose forward starts with einops on its input
 * (`Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1 = 8, p2 = 8)`
 * before `nn.LayerNorm(192)`): the pattern's left side with the sizes given,
 * `features` (the first layer's size) as the right side's last group, the
 * first axis `batch`, and every other unknown axis grouped with known ones
 * making the group `spatial` (an image side); undefined when these do not
 * determine it.
 */
export function einopsInputShape(pattern: string, sizes: ReadonlyMap<string, number>, features: number, batch: number, spatial: number): number[] | undefined {
  if (pattern.length > MAX_PATTERN) return undefined;
  const arrow = pattern.split('->');
  const left = arrow.length === 2 ? parseSide(arrow[0]) : undefined;
  const right = arrow.length === 2 ? parseSide(arrow[1]) : undefined;
  if (!left || !right || typeof left === 'string' || typeof right === 'string' || left.ellipsis >= 0 || left.groups.length === 0) return undefined;
  const size = new Map(sizes);
  // The right side's last group is what the first layer reads: one unknown name there is inferred.
  const last = right.groups[right.groups.length - 1];
  const unknownLast = last.filter((n) => !size.has(n));
  if (unknownLast.length === 1) {
    const known = product(last.filter((n) => size.has(n)).map((n) => size.get(n) as number));
    if (features % known !== 0) return undefined;
    size.set(unknownLast[0], features / known);
  }
  const first = left.groups[0];
  if (first.length === 1 && !size.has(first[0])) size.set(first[0], batch);
  const shape: number[] = [];
  for (const group of left.groups) {
    const unknown = group.filter((n) => !size.has(n));
    const known = product(group.filter((n) => size.has(n)).map((n) => size.get(n) as number));
    if (unknown.length === 0) shape.push(known);
    else if (unknown.length === 1 && group.length > 1 && spatial % known === 0) shape.push(spatial);
    else return undefined;
  }
  return shape;
}

/** `torch.einsum` of two operands as graph steps ({@link einsumPlan}). */
export interface EinsumPlan {
  /** Each operand to (batch, rows, inner) and (batch, inner, columns). */
  readonly a: readonly EinopsStep[];
  readonly b: readonly EinopsStep[];
  /** After their batched product: to the output's axes. */
  readonly after: readonly EinopsStep[];
  readonly shape: Shape;
}

/**
 * `torch.einsum(equation, a, b)` (lucidrains' `einsum('b h i d, b h j d -> b h i j', q, k)`)
 * as a batched matrix product: the indices in both operands and the output are
 * its batch, those in both but not the output are summed over (the inner axis),
 * the others are its rows and columns; each operand is transposed and reshaped to
 * that form, and the product back to the output's order. One letter per index,
 * no `...`, no index repeated in an operand, none summed from one operand alone
 * (reasons otherwise).
 */
export function einsumPlan(equation: string, a: Shape, b: Shape): EinsumPlan | string {
  if (equation.length > MAX_PATTERN) return `an equation of more than ${MAX_PATTERN} characters`;
  const compact = equation.replace(/\s+/g, '');
  const m = /^([A-Za-z]*),([A-Za-z]*)->([A-Za-z]*)$/.exec(compact);
  if (!m) return compact.includes('...') ? '`...` in an equation is not simulated' : 'only equations of two operands written with `->` are simulated';
  const [, la, lb, lo] = m;
  for (const [letters, what] of [[la, 'the first operand'], [lb, 'the second operand'], [lo, 'the output']] as const) {
    if (new Set(letters).size !== letters.length) return `an index repeated in ${what} (a diagonal) is not simulated`;
  }
  if (la.length !== a.length) return `the first operand has ${a.length} axes, the equation ${la.length}`;
  if (lb.length !== b.length) return `the second operand has ${b.length} axes, the equation ${lb.length}`;
  const size = new Map<string, number>();
  for (const [letters, shape] of [[la, a], [lb, b]] as const) {
    for (const [i, c] of [...letters].entries()) {
      const known = size.get(c);
      if (known !== undefined && known !== shape[i]) return `index ${c} has size ${known} and ${shape[i]}`;
      size.set(c, shape[i]);
    }
  }
  const inA = (c: string) => la.includes(c);
  const inB = (c: string) => lb.includes(c);
  const inOut = (c: string) => lo.includes(c);
  for (const c of lo) if (!inA(c) && !inB(c)) return `the output's index ${c} is in no operand`;
  const alone = [...la, ...lb].find((c) => !inOut(c) && !(inA(c) && inB(c)));
  if (alone) return `index ${alone} is summed over one operand only (not simulated)`;
  const batch = [...lo].filter((c) => inA(c) && inB(c));
  const inner = [...la].filter((c) => inB(c) && !inOut(c));
  const rows = [...la].filter((c) => !inB(c));
  const columns = [...lb].filter((c) => !inA(c));
  const sizesOf = (cs: readonly string[]) => cs.map((c) => size.get(c) as number);
  const toForm = (letters: string, order: readonly string[], form: readonly number[]): EinopsStep[] => {
    const steps: EinopsStep[] = [];
    const perm = order.map((c) => letters.indexOf(c));
    if (perm.some((p, i) => p !== i)) steps.push({ kind: 'transpose', perm, shape: sizesOf(order) });
    if (form.join(',') !== sizesOf(order).join(',')) steps.push({ kind: 'reshape', shape: form });
    return steps;
  };
  const [B, M, K, N] = [batch, rows, inner, columns].map((cs) => product(sizesOf(cs)));
  const produced = [...batch, ...rows, ...columns];
  const after: EinopsStep[] = [];
  if (sizesOf(produced).join(',') !== [B, M, N].join(',')) after.push({ kind: 'reshape', shape: sizesOf(produced) });
  const perm = [...lo].map((c) => produced.indexOf(c));
  if (perm.some((p, i) => p !== i)) after.push({ kind: 'transpose', perm, shape: sizesOf([...lo]) });
  return { a: toForm(la, [...batch, ...rows, ...inner], [B, M, K]), b: toForm(lb, [...batch, ...inner, ...columns], [B, K, N]), after, shape: sizesOf([...lo]) };
}
