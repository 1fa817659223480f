/**
 * The model a command takes when none is named (`initlens propagate FILE`, the
 * Signal or Histogram page opened with the cursor outside every model): the
 * root of the file's module tree, not its first class (kuangliu's resnet.py
 * defines BasicBlock and Bottleneck before ResNet, nanoGPT LayerNorm before GPT).
 *
 * The rule, in order:
 * 1. roots: the models no other model of the file builds (no context of theirs
 *    is built by another class, no other class lists them among its submodules);
 * 2. of those, the ones the file's code builds (at module level or in a function:
 *    `ResNet18()`, `net = VGG('VGG11')`, `generator = Generator()`), when any is;
 * 3. of those, the one that builds the most classes of the file (esrgan's GeneratorRRDB
 *    over FeatureExtractor and Discriminator); equal ones: the first defined (gan.py's
 *    Generator before Discriminator).
 * When every model is built by another (a cycle), the rule starts from all of them.
 */
import type { Model } from './types';

/** Built by a class of the file other than itself. */
const builtByAnother = (model: Model, models: readonly Model[]): boolean =>
  (model.contexts ?? []).some((c) => c.builtBy !== undefined && c.builtBy !== model.name) ||
  models.some((other) => other !== model && (other.submodules ?? []).some((s) => s.className === model.name));

/** Built by the file's code: a context that is a call site, not another class or the defaults InitLens analyzes it with. */
const builtByCode = (model: Model): boolean => (model.contexts ?? []).some((c) => c.builtBy === undefined && !/(^|\s)defaults$/.test(c.label));

/** How many classes of the file `model` builds itself. */
const builds = (model: Model, models: readonly Model[]): number =>
  new Set([...(model.submodules ?? []).map((s) => s.className), ...models.filter((m) => (m.contexts ?? []).some((c) => c.builtBy === model.name)).map((m) => m.name)].filter((n) => n !== model.name)).size;

/** The root model of `models` (one document's, in source order) by the rule above; undefined when there is none. */
export function rootModel<M extends Model>(models: readonly M[]): M | undefined {
  const roots = models.filter((m) => !builtByAnother(m, models));
  const from = roots.length ? roots : models;
  const built = from.filter(builtByCode);
  let best: M | undefined;
  let most = -1;
  for (const m of built.length ? built : from) {
    const n = builds(m, models);
    if (n > most) [best, most] = [m, n];
  }
  return best;
}
