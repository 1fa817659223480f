/**
 * The work of one chunk: generate its elements from the chunk's own stream and
 * bin them ({@link tallyChunk}), or hand back the first elements of the tensor
 * ({@link sampleValues}). Both walk the same streams, so the values printed by
 * `initlens sample --values` are the head of the tensor that was binned.
 */
import { chunkState, fillStandardNormal, fillUniform01, nextBelow, normalQuantile } from './prng';
import { emptyTally, tallyRepeated, tallyValues, type Tally } from './histogram';
import { onesOf, type PlanKind, type SamplingPlan } from './plan';
import { normalCdf } from '../init/schemes';

/** Elements generated per inner block: small enough for L1, large enough to amortize the calls. */
const BLOCK = 4096;

type Sink = (block: Float64Array, n: number) => void;

/** Number of elements in chunk `chunk`. */
export function chunkLength(plan: SamplingPlan, chunk: number): number {
  return Math.max(0, Math.min(plan.chunkSize, plan.count - chunk * plan.chunkSize));
}

/**
 * Streams the elements of an i.i.d. chunk (uniform, normal, truncated normal)
 * in blocks, rounded to float32 as the weights of a float32 tensor are.
 */
function streamIid(plan: SamplingPlan, chunk: number, length: number, sink: Sink): void {
  const g = plan.generator;
  const state = chunkState(plan.seed, chunk);
  const buf = new Float64Array(BLOCK);
  const fround = Math.fround;
  for (let done = 0; done < length; ) {
    const m = Math.min(BLOCK, length - done);
    if (g.kind === 'uniform') {
      fillUniform01(state, buf, m);
      const low = g.low;
      const width = g.high - g.low;
      for (let i = 0; i < m; i++) buf[i] = fround(low + width * buf[i]);
    } else if (g.kind === 'normal') {
      fillStandardNormal(state, buf, m);
      const mean = g.mean;
      const std = g.std;
      for (let i = 0; i < m; i++) buf[i] = fround(mean + std * buf[i]);
    } else if (g.kind === 'truncated_normal') {
      fillTruncated(state, g, buf, m);
    } else {
      throw new Error(`streamIid: ${g.kind} is not i.i.d.`);
    }
    sink(buf, m);
    done += m;
  }
}

const scratch = new Float64Array(BLOCK);

/**
 * Truncated normal on absolute bounds. Wide windows (acceptance ≥ 25%, which
 * includes Keras's ±2σ cut at 95.4%) reject from the ziggurat, as
 * `tf.random.truncated_normal` does; narrow ones invert the CDF like
 * torch/nn/init.py's `_no_grad_trunc_normal_`, from the tail nearer zero so
 * that far-tail windows keep their precision.
 */
function fillTruncated(state: Int32Array, g: Extract<PlanKind, { kind: 'truncated_normal' }>, out: Float64Array, m: number): void {
  const alpha = (g.low - g.mean) / g.std;
  const beta = (g.high - g.mean) / g.std;
  const fround = Math.fround;
  const flip = alpha > 0;
  const lo = flip ? -beta : alpha;
  const hi = flip ? -alpha : beta;
  const pLo = normalCdf(lo);
  const pHi = normalCdf(hi);
  if (pHi - pLo >= 0.25) {
    let k = 0;
    while (k < m) {
      const want = Math.min(BLOCK, Math.ceil((m - k) / (pHi - pLo)) + 16);
      fillStandardNormal(state, scratch, want);
      for (let i = 0; i < want && k < m; i++) {
        const z = scratch[i];
        if (z >= alpha && z <= beta) out[k++] = fround(g.mean + g.std * z);
      }
    }
    return;
  }
  fillUniform01(state, scratch, m);
  for (let i = 0; i < m; i++) {
    let z = normalQuantile(pLo + scratch[i] * (pHi - pLo));
    z = z < lo ? lo : z > hi ? hi : z;
    out[i] = fround(g.mean + g.std * (flip ? -z : z));
  }
}

/** Flat indices of dirac_'s ones (torch/nn/init.py `dirac_`: out g·per+d, in d, every kernel dim at its centre). */
function diracOnes(g: Extract<PlanKind, { kind: 'dirac' }>): number[] {
  const [out, inChannels, ...kernel] = g.shape;
  const perGroup = out / g.groups;
  const kernelSize = kernel.reduce((a, b) => a * b, 1);
  let centre = 0;
  for (const k of kernel) centre = centre * k + Math.floor(k / 2);
  const ones: number[] = [];
  for (let group = 0; group < g.groups; group++) {
    for (let d = 0; d < Math.min(perGroup, inChannels); d++) ones.push(((group * perGroup + d) * inChannels + d) * kernelSize + centre);
  }
  return ones;
}

/** Whether flat index `i` holds a one in eye_/dirac_. */
function indicatorAt(g: Extract<PlanKind, { kind: 'eye' | 'dirac' }>, i: number, diracSet: Set<number> | undefined): number {
  if (g.kind === 'eye') {
    const r = Math.floor(i / g.cols);
    return i - r * g.cols === r ? 1 : 0;
  }
  return diracSet?.has(i) ? 1 : 0;
}

/** Ones of eye_/dirac_ whose flat index lies in [start, end). */
function onesIn(g: Extract<PlanKind, { kind: 'eye' | 'dirac' }>, start: number, end: number): number {
  if (g.kind === 'eye') {
    // eye_ puts its ones at flat indices i·(cols+1), i < min(rows, cols).
    const step = g.cols + 1;
    const first = Math.ceil(start / step);
    const last = Math.min(onesOf(g) - 1, Math.ceil(end / step) - 1);
    return Math.max(0, last - first + 1);
  }
  return diracOnes(g).filter((i) => i >= start && i < end).length;
}

/**
 * The dense orthogonal_ tensor (rows × cols, row-major), after
 * torch/nn/init.py `orthogonal_`: QR of a normal matrix (transposed first when
 * rows < cols), Q's columns multiplied by sign(diag R), transposed back, times
 * gain. Gram–Schmidt yields R with a positive diagonal directly, which is that
 * same sign-corrected Q; each column is orthogonalized twice ("twice is
 * enough", Giraud et al. 2005) so medium matrices stay orthogonal to 1e-15.
 */
export function orthogonalMatrix(plan: SamplingPlan): Float64Array {
  const g = plan.generator;
  if (g.kind !== 'orthogonal') throw new Error('orthogonalMatrix: not an orthogonal_ plan');
  const { rows, cols } = g;
  const flat = new Float64Array(rows * cols);
  fillStandardNormal(chunkState(plan.seed, 0), flat, flat.length);
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  // Column j of the m×n matrix A, stored contiguously (column-major).
  const a = new Float64Array(m * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = flat[r * cols + c];
      if (tall) a[c * m + r] = v;
      else a[r * m + c] = v;
    }
  }
  for (let j = 0; j < n; j++) {
    const vj = j * m;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const qk = k * m;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[qk + i] * a[vj + i];
        for (let i = 0; i < m; i++) a[vj + i] -= dot * a[qk + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[vj + i] * a[vj + i];
    norm = Math.sqrt(norm);
    if (!(norm > 0)) throw new Error('orthogonal_: rank-deficient normal matrix (probability zero)');
    for (let i = 0; i < m; i++) a[vj + i] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.fround(g.gain * (tall ? a[c * m + r] : a[r * m + c]));
  }
  return out;
}

/**
 * sparse_'s chunk: whole columns. Each column has exactly `zeros` zero rows and
 * N(0, std) elsewhere (torch/nn/init.py `sparse_`: normal_ then a randperm of
 * the rows per column). The normals come from the chunk's stream 0 and the
 * zero rows from its stream 1, so binning needs no positions and `values`
 * places the very same normals.
 */
function sparseColumns(plan: SamplingPlan, chunk: number): { first: number; count: number } {
  const g = plan.generator;
  if (g.kind !== 'sparse') throw new Error('not sparse');
  const perChunk = plan.chunkSize / g.rows;
  const first = chunk * perChunk;
  return { first, count: Math.min(perChunk, g.cols - first) };
}

/** Bins one chunk. Deterministic in (seed, chunk): the basis of worker-count independence. */
export function tallyChunk(plan: SamplingPlan, chunk: number, limit = Infinity): Tally {
  const tally = emptyTally(plan.binSpec.bins);
  const g = plan.generator;
  const length = Math.min(chunkLength(plan, chunk), limit);
  const sink: Sink = (block, n) => tallyValues(block, n, plan.binSpec, plan.reference, tally);
  switch (g.kind) {
    case 'uniform':
    case 'normal':
    case 'truncated_normal':
      streamIid(plan, chunk, length, sink);
      break;
    case 'constant':
      tallyRepeated(Math.fround(g.value), length, plan.binSpec, plan.reference, tally);
      break;
    case 'eye':
    case 'dirac': {
      const start = chunk * plan.chunkSize;
      const ones = onesIn(g, start, start + length);
      tallyRepeated(0, length - ones, plan.binSpec, plan.reference, tally);
      tallyRepeated(1, ones, plan.binSpec, plan.reference, tally);
      break;
    }
    case 'orthogonal': {
      const q = orthogonalMatrix(plan);
      tallyValues(q, Math.min(q.length, length), plan.binSpec, plan.reference, tally);
      break;
    }
    case 'sparse': {
      const { count } = sparseColumns(plan, chunk);
      const columns = Math.min(count, Math.ceil(length / g.rows));
      const normals = columns * (g.rows - g.zeros);
      const sub: SamplingPlan = { ...plan, generator: { kind: 'normal', mean: 0, std: g.std } };
      if (g.std > 0) streamIid(sub, chunk, normals, sink);
      else tallyRepeated(0, normals, plan.binSpec, plan.reference, tally);
      tallyRepeated(0, columns * g.zeros, plan.binSpec, plan.reference, tally);
      break;
    }
  }
  return tally;
}

/** The first `n` elements of the tensor in row-major order, as float32 values. */
export function sampleValues(plan: SamplingPlan, n: number): Float32Array {
  const total = Math.min(n, plan.count);
  const out = new Float32Array(total);
  const g = plan.generator;
  switch (g.kind) {
    case 'uniform':
    case 'normal':
    case 'truncated_normal': {
      let k = 0;
      for (let chunk = 0; k < total; chunk++) {
        streamIid(plan, chunk, Math.min(chunkLength(plan, chunk), total - k), (block, m) => {
          out.set(block.subarray(0, m), k);
          k += m;
        });
      }
      break;
    }
    case 'constant':
      out.fill(g.value);
      break;
    case 'eye':
    case 'dirac': {
      const set = g.kind === 'dirac' ? new Set(diracOnes(g)) : undefined;
      for (let i = 0; i < total; i++) out[i] = indicatorAt(g, i, set);
      break;
    }
    case 'orthogonal':
      out.set(orthogonalMatrix(plan).subarray(0, total));
      break;
    case 'sparse': {
      // Row-major head: rows [0, needRows) of every column.
      const needRows = Math.ceil(total / g.cols);
      const column = new Float64Array(g.rows);
      const isZero = new Uint8Array(g.rows);
      const order = new Int32Array(g.rows);
      for (let chunk = 0; chunk < plan.chunks; chunk++) {
        const { first, count } = sparseColumns(plan, chunk);
        const normals = chunkState(plan.seed, chunk);
        const picks = chunkState(plan.seed, chunk, 1);
        for (let c = first; c < first + count; c++) {
          // Partial Fisher–Yates: the first `zeros` entries of a random permutation, like randperm(rows)[:num_zeros].
          for (let i = 0; i < g.rows; i++) order[i] = i;
          isZero.fill(0);
          for (let i = 0; i < g.zeros; i++) {
            const j = i + nextBelow(picks, g.rows - i);
            const t = order[i];
            order[i] = order[j];
            order[j] = t;
            isZero[order[i]] = 1;
          }
          fillStandardNormal(normals, column, g.rows - g.zeros);
          for (let r = 0, k = 0; r < needRows; r++) {
            const index = r * g.cols + c;
            if (isZero[r]) {
              if (index < total) out[index] = 0;
            } else {
              if (index < total) out[index] = Math.fround(g.std * column[k]);
              k++;
            }
          }
        }
      }
      break;
    }
  }
  return out;
}
