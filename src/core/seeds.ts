/**
 * The seed ranges InitLens accepts, each stated once:
 * - what it writes into `seed_everything(N)`: 0..2^32−1, which every framework
 *   takes (`np.random.seed` is 32-bit);
 * - the sampler's seed (panel, `initlens sample`): 0..2^64−1, the unsigned
 *   range of `torch.manual_seed`;
 * - a `torch.manual_seed` argument: −2^63..2^64−1 (`torch/csrc/Generator.cpp`
 *   unpacks a signed or an unsigned 64-bit integer).
 */

/** Largest seed `seed_everything` is written with. */
export const MAX_SEED_EVERYTHING = 2 ** 32 - 1;

/** Largest sampler seed, and largest `torch.manual_seed` argument. */
export const MAX_U64_SEED = (1n << 64n) - 1n;

/** Smallest `torch.manual_seed` argument. */
export const MIN_TORCH_SEED = -(1n << 63n);

/** The ranges as users read them in messages. */
export const SEED_EVERYTHING_RANGE = `0..${MAX_SEED_EVERYTHING}`;
export const U64_SEED_RANGE = `0..${MAX_U64_SEED}`;
export const TORCH_SEED_RANGE = `${MIN_TORCH_SEED}..${MAX_U64_SEED}`;

/** Whether `value` is a number `seed_everything` may be written with. */
export function isSeedEverything(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEED_EVERYTHING;
}

/** A `seed_everything` seed typed as decimal digits, or undefined when it is not one. */
export function parseSeedEverything(text: string): number | undefined {
  const t = text.trim();
  return /^\d{1,10}$/.test(t) && isSeedEverything(Number(t)) ? Number(t) : undefined;
}

/** Whether `text` is a sampler seed in decimal digits (0..2^64−1). */
export function isU64SeedText(text: string): boolean {
  return /^\d{1,20}$/.test(text) && BigInt(text) <= MAX_U64_SEED;
}

/** Whether PyTorch accepts `seed` as a `torch.manual_seed` argument. */
export function isTorchSeed(seed: bigint): boolean {
  return seed >= MIN_TORCH_SEED && seed <= MAX_U64_SEED;
}
