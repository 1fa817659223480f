/**
 * Transfer learning in the advice (rule `pretrained`): which layers of the
 * analysis hold loaded weights (not initialized at random: no init advice), and
 * which were added or replaced beside pretrained weights (a new head: advised
 * as any random layer, the verdict says what it sits beside). The loads and
 * constructions come from the analysis (src/core/model/pretrained.ts); which
 * layer they reach is decided here from names and order:
 * - `self.load_state_dict(...)` in `__init__` loads the layers built before it,
 *   `self.backbone.load_state_dict(...)` those under `backbone`; in another method, all of them;
 * - a load inside an `if`/`for`/`while`/`try` (resuming from a checkpoint) or in a function
 *   (a training loop keeping its best weights) makes nothing pretrained: the file also trains from the init;
 * - at module level `model.load_state_dict(...)` loads the class `model = Net(...)` built,
 *   when every construction of the class in the file is loaded so (a file that trains
 *   `Net()` from scratch and loads a checkpoint into a second `Net()` keeps its advice);
 * - a replaced head (`model.fc = nn.Linear(...)`) is added after loading unless
 *   `model.load_state_dict(...)` comes after it;
 * - a layer of a class that also builds a pretrained model (`self.backbone = resnet18(weights=...)`),
 *   and a Keras model built after a pretrained application, are added beside it.
 */
import { codeSpan, escapeMarkdown, webLink } from '../markdown';
import { isPretrained, type LibraryModelUse } from '../model/pretrained';
import type { Layer, Model, ModelAnalysis } from '../model/types';
import type { Verdict } from './judge';
import { ADVICE_RULE_INFO, type AdviceOptions } from './rules';

export interface TransferFacts {
  /** Layers whose values are loaded after construction, with the load. */
  readonly loaded: ReadonlyMap<Layer, LibraryModelUse>;
  /** Layers built at random beside pretrained weights, with the pretrained use. */
  readonly added: ReadonlyMap<Layer, LibraryModelUse>;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `self.backbone[0].encoder` → `backbone.0.encoder` (a `named_modules()` prefix); `self` → ''. */
function modulePath(target: string, head: string): string | undefined {
  if (target === head) return '';
  if (!target.startsWith(`${head}.`) && !target.startsWith(`${head}[`)) return undefined;
  const rest = target.slice(head.length).replace(/\[\s*(\d+)\s*\]/g, '.$1');
  return /^(\.\w+)+$/.test(rest) ? rest.slice(1) : undefined;
}

const under = (layer: Layer, prefix: string) => prefix === '' || layer.name === prefix || layer.name.startsWith(`${prefix}.`);

/** Module-level assignments `v = C(...)` (`.to(device)` and other chains allowed) of a class, outside its definition. */
function constructions(model: Model, text: string): { variable: string; at: number }[] {
  const out: { variable: string; at: number }[] = [];
  const re = new RegExp(`^[ \\t]*(\\w+)[ \\t]*=[ \\t]*${escape(model.name)}[ \\t]*\\(`, 'gm');
  for (const m of text.matchAll(re)) {
    const at = m.index;
    if (at >= model.span.from && at < model.span.to) continue;
    out.push({ variable: m[1], at });
  }
  return out;
}

/** The first module-level load whose target is `variable` (or under it) after `from`, before `variable` is assigned again. */
function loadAfter(uses: readonly LibraryModelUse[], variable: string, from: number, text: string): { use: LibraryModelUse; path: string } | undefined {
  const again = new RegExp(`^[ \\t]*${escape(variable)}[ \\t]*=(?!=)`, 'gm');
  again.lastIndex = from + 1;
  const next = again.exec(text)?.index ?? Infinity;
  for (const use of uses) {
    if (use.kind !== 'load' || use.inClass !== undefined || use.inFunction !== undefined || use.conditional || use.span.from <= from || use.span.from >= next || use.target === undefined) continue;
    const path = modulePath(use.target, variable);
    if (path !== undefined) return { use, path };
  }
  return undefined;
}

/** What the loads and pretrained constructions of a document say about its layers. */
export function transferFacts(analysis: ModelAnalysis, text: string): TransferFacts {
  const uses = analysis.libraryModels ?? [];
  const loaded = new Map<Layer, LibraryModelUse>();
  const added = new Map<Layer, LibraryModelUse>();
  if (uses.length === 0) return { loaded, added };
  for (const model of analysis.models) {
    const weightLayers = model.layers;
    if (model.kind === 'torch-module') {
      for (const use of uses) {
        if (use.kind !== 'load' || use.inClass !== model.name || use.conditional || use.target === undefined) continue;
        const path = modulePath(use.target, 'self');
        if (path === undefined) continue;
        for (const l of weightLayers) if (under(l, path) && (use.inMethod !== '__init__' || l.span.from < use.span.from)) loaded.set(l, use);
      }
      const built = constructions(model, text);
      const loads = built.map((b) => loadAfter(uses, b.variable, b.at, text));
      const first = loads[0];
      if (first && loads.every((l) => l !== undefined && l.path === first.path)) {
        for (const l of weightLayers) if (under(l, first.path)) loaded.set(l, first.use);
      }
      // The backbone the class holds (`self.backbone = resnet18(weights=...)` in __init__); not a from_pretrained classmethod of its own.
      const beside = uses.find((u) => u.kind === 'construct' && u.inClass === model.name && u.inMethod === '__init__' && u.target?.startsWith('self.') && isPretrained(u));
      if (beside) for (const l of weightLayers) if (!loaded.has(l)) added.set(l, beside);
    } else if (model.kind === 'torch-sequential') {
      const dot = model.name.indexOf('.');
      const variable = dot === -1 ? model.name : model.name.slice(0, dot);
      if (!/^\w+$/.test(variable)) continue;
      const after = loadAfter(uses, variable, model.span.from, text);
      // A replaced head is loaded when the load reaches it (`model.load_state_dict`, not `model.layer4.load_state_dict`).
      const reached = after && (dot === -1 ? after.path === '' : modulePath(model.name, variable)!.startsWith(after.path));
      if (after && reached) {
        for (const l of weightLayers) loaded.set(l, after.use);
        continue;
      }
      if (dot === -1) continue;
      const base = [...uses].reverse().find((u) => u.kind === 'construct' && u.inClass === undefined && u.target === variable && u.span.from < model.span.from && isPretrained(u));
      if (base) for (const l of weightLayers) added.set(l, base);
    } else {
      // Keras: the layers of a model built after a pretrained application are its new layers.
      const base = [...uses].reverse().find((u) => u.framework === 'keras' && u.kind === 'construct' && isPretrained(u) && u.span.from < model.span.to && u.inClass === undefined);
      if (base) for (const l of weightLayers) added.set(l, base);
    }
  }
  return { loaded, added };
}

/** `resnet18 (IMAGENET1K_V1)`, `timm resnet50 (pretrained=True)`, `keras.applications.ResNet50 (imagenet)`. */
export function pretrainedName(use: LibraryModelUse): string {
  const what = use.source === 'timm' ? `timm ${use.architecture}` : use.source === 'keras-applications' ? `keras.applications.${use.architecture}` : use.source === 'keras-load_model' ? 'load_model' : use.architecture ?? use.callee;
  return `${what} (${use.weights ?? 'weights=None'})`;
}

/**
 * The verdict of a layer once transfer learning is known: loaded layers get the `pretrained`
 * verdict (ok, no init advice, no Apply); layers added beside pretrained weights keep their
 * verdict, which says so. Other layers, or the rule turned off: the verdict unchanged.
 */
export function withTransfer(layer: Layer, v: Verdict | undefined, facts: TransferFacts, options: AdviceOptions): Verdict | undefined {
  if (options.disabled.has('pretrained')) return v;
  const load = facts.loaded.get(layer);
  if (load && v) {
    const where = `${load.target ?? 'the model'}.load_state_dict(...) on line ${load.line + 1}`;
    return {
      level: 'ok',
      rule: 'pretrained',
      message: `${layer.name || 'This layer'} is pretrained (${load.weights}): ${where} overwrites its values, so it is not initialized at random and its init needs no advice (its constructor still draws from the random stream).`,
      gain: null,
      source: ADVICE_RULE_INFO.pretrained.source,
      pretrained: load.weights ?? '',
    };
  }
  const base = facts.added.get(layer);
  if (base && v) {
    return { ...v, message: `New layer beside the pretrained ${pretrainedName(base)} (line ${base.line + 1}), so it starts at random: ${v.message}` };
  }
  return v;
}

/** The state of a library model as shown in lenses, hovers and the panel: pretrained, or built at random by the library. */
export function libraryModelState(use: LibraryModelUse): string {
  if (use.kind === 'load' && (use.conditional || use.inFunction !== undefined)) {
    return `may load pretrained weights (${use.weights}): only when this ${use.conditional ? 'branch' : 'function'} runs, so the init in effect still counts`;
  }
  if (use.kind === 'load') return `pretrained (${use.weights}): ${use.target ?? 'the model'}.load_state_dict overwrites the values, not initialized at random`;
  if (isPretrained(use)) return `pretrained (${use.weights}): not initialized at random`;
  return `${use.architecture ?? use.callee} (weights=None): initialized at random by the library's constructor`;
}

/** An entry of `libraryModels` in `initlens analyze --json`. */
export function libraryModelJson(use: LibraryModelUse) {
  return {
    line: use.line,
    kind: use.kind,
    source: use.source,
    callee: use.callee,
    architecture: use.architecture ?? null,
    target: use.target ?? null,
    inClass: use.inClass ?? null,
    pretrained: isPretrained(use),
    weights: use.weights ?? null,
    state: libraryModelState(use),
  };
}

/**
 * The hover on a library model's construction or load: its state, what InitLens advises
 * (only the layers added or replaced after loading), and what exact mode makes of its draws.
 */
export function libraryModelHoverMarkdown(use: LibraryModelUse): string {
  const src = ADVICE_RULE_INFO.pretrained.source;
  let md = `**InitLens** · ${codeSpan(use.kind === 'load' ? `${use.target ?? ''}.load_state_dict` : use.architecture ?? use.callee)}\n\n`;
  md += `$(package) ${escapeMarkdown(libraryModelState(use))}.\n\n`;
  if (isPretrained(use)) {
    md += escapeMarkdown('Its values come from the weights, so InitLens gives no init advice for its layers; the layers added or replaced after loading (a new head) start at random and get their own verdict.') + '\n\n';
  }
  if (use.framework === 'torch' && use.kind === 'construct') {
    md += escapeMarkdown(`Exact mode: the constructor builds every layer at random before any weights are copied in, so it draws from the torch stream and the values of later random layers depend on it${use.source === 'torchvision' ? ' (replayed where InitLens knows the architecture)' : ' (not replayed: not exact)'}.`) + '\n\n';
  } else if (use.kind === 'load') {
    md += escapeMarkdown('load_state_dict copies values in and draws nothing from the random stream.') + '\n\n';
  }
  return md + `Source: ${webLink(src.title, src.url)}.`;
}
