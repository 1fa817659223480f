/**
 * The exact-mode kernel tiers for the tests: each with its loaded kernels, or
 * why this engine or CPU cannot run it (tests then skip it, saying so).
 * Relaxed SIMD is turned on first, as the CLI does on Node 20.
 */
import { WasmKernels, type KernelTier } from '../../src/core/torch/kernels';
import { enableRelaxedSimd } from '../../src/node/relaxedSimd';

export interface TierCase {
  readonly tier: KernelTier;
  readonly kernels?: WasmKernels;
  readonly unavailable?: string;
}

/** fused and emulated (loaded or not), then scalar (always there). */
export function kernelTiers(): TierCase[] {
  enableRelaxedSimd();
  const wasm = (['fused', 'emulated'] as const).map((tier): TierCase => {
    const k = WasmKernels.load(tier);
    return typeof k === 'string' ? { tier, unavailable: k } : { tier, kernels: k };
  });
  return [...wasm, { tier: 'scalar' }];
}
