/** Messages between the sampling pool and its workers (`dist/samplingWorker.js`). */
import type { Moments } from './histogram';
import type { SampleRequest } from './plan';

/** Bin chunks [first, last) of `request`; stop early once `abort[0]` is non-zero. */
export interface ChunkTask {
  readonly id: number;
  readonly request: SampleRequest;
  readonly first: number;
  readonly last: number;
  readonly abort: SharedArrayBuffer;
}

/** Per-chunk moments (merged later in chunk order, for bit-identical results), summed counts. */
export interface ChunkTaskResult {
  readonly id: number;
  readonly chunks: number[];
  readonly moments: Moments[];
  /** Counts of all chunks of the task, summed (integers: exact in any order). */
  readonly counts: Float64Array;
  readonly beyond2: number;
  readonly beyond3: number;
  readonly aborted: boolean;
  readonly error?: string;
}
