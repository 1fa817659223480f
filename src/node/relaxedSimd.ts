/**
 * WebAssembly relaxed SIMD for exact mode's fastest kernels
 * (core/torch/kernels.ts). V8 enables it by default since 11.4, so VS Code's
 * extension host and Node 22+ have it; Node 20 (V8 11.3) has it behind a
 * flag, which this turns on for our own processes (the CLI, tests, benches)
 * before any kernel is compiled. Without it, exact mode uses its plain-SIMD
 * kernels: the same values, about half the speed.
 */
import * as v8 from 'node:v8';
import { relaxedSimdSupported } from '../core/torch/kernels';

export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return relaxedSimdSupported();
}
