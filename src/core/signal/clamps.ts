/**
 * The clamping activations with PyTorch 1.13's gradients at their corners.
 * TensorFlow.js passes the gradient where the input sits exactly on a clamp
 * bound (Relu6: x ≤ 6; ClipByValue: min ≤ x ≤ max) and takes hardswish's
 * gradient at x = −3 from the zero side; ATen does neither
 * (aten/src/ATen/native/cpu/Activation.cpp):
 * - relu6 is hardtanh(0, 6), and hardtanh_backward passes the gradient only
 *   where min < x < max strictly;
 * - hardswish_backward is 0 below −3, dy·(x/3 + 1/2) from −3 to 3 inclusive,
 *   dy above.
 * The values are the same; only an input exactly on a bound (6 and ±1 after a
 * clamp-free op, −3 for hardswish) gets another gradient. At 0, relu6 already
 * agrees (both give 0).
 */
import type { Tensor } from '@tensorflow/tfjs-core';

type Tf = typeof import('@tensorflow/tfjs-core');

/** clamp(x, min, max), its gradient dy where min < x < max and 0 elsewhere (hardtanh_backward). */
function clamp(tf: Tf, x: Tensor, min: number, max: number, value: (xs: Tensor) => Tensor): Tensor {
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [xs, save] = args as [Tensor, (save: Tensor[]) => void];
    save([xs]);
    return {
      value: value(xs),
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.tidy(() => tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(saved[0], min), tf.less(saved[0], max)), 'float32'))),
    };
  });
  return op(x);
}

/** F.relu6: min(max(x, 0), 6). */
export function relu6(tf: Tf, x: Tensor): Tensor {
  return clamp(tf, x, 0, 6, (xs) => tf.relu6(xs));
}

/** F.hardtanh with its default bounds, −1 and 1. */
export function hardtanh(tf: Tf, x: Tensor): Tensor {
  return clamp(tf, x, -1, 1, (xs) => tf.clipByValue(xs, -1, 1));
}

/** F.hardswish: x·relu6(x + 3)/6, its gradient as hardswish_backward writes it. */
export function hardswish(tf: Tf, x: Tensor): Tensor {
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [xs, save] = args as [Tensor, (save: Tensor[]) => void];
    save([xs]);
    return {
      value: tf.div(tf.mul(xs, tf.relu6(tf.add(xs, 3))), 6),
      gradFunc: (dy: Tensor, saved: Tensor[]) =>
        tf.tidy(() => {
          const v = saved[0];
          const middle = tf.mul(dy, tf.add(tf.div(v, 3), 0.5));
          return tf.where(tf.less(v, -3), tf.zerosLike(dy), tf.where(tf.lessEqual(v, 3), middle, dy));
        }),
    };
  });
  return op(x);
}
