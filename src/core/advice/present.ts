/**
 * How each consumer shows a verdict, in one place: the lens title, the hover
 * paragraph and whether a diagnostic is raised all follow from the verdict's
 * level and the `initlens.advice.level` setting, so ⚠ appears exactly where
 * the verdict is a warning. Pure (test/unit/adviceCorpus.test.ts checks the
 * three agree on every layer of both corpora).
 */
import { activationLabel } from '../model/activations';
import { short } from '../model/describe';
import { mainParam } from '../model/layer';
import type { Layer } from '../model/types';
import { factor, type Verdict } from './judge';
import type { AdviceLevel } from './rules';

/** What a consumer displays: a warning, a note (only at `suggestions`), ok, or nothing. */
export function displayed(v: Verdict | undefined, level: AdviceLevel): 'warning' | 'note' | 'ok' | undefined {
  if (!v) return undefined;
  if (v.level === 'note') return level === 'suggestions' ? 'note' : undefined;
  return v.level;
}

const ICON = { warning: '$(warning) ', note: '$(info) ', ok: '$(check) ' } as const;

/** `BatchNorm2d → ReLU · kaiming_uniform_(a=√5) · std 0.036 · gain ×0.41 (×0.0029 over 10)`: what the layer gets, and its gain. */
export function lensSummary(layer: Layer, v: Verdict): string | undefined {
  const param = mainParam(layer);
  if (!param) return undefined;
  if (v.pretrained !== undefined) return `pretrained (${v.pretrained}): not initialized at random`;
  const activation = layer.activation ? activationLabel(layer.activation.activation) : 'activation unknown';
  const prefix = `${layer.normalizer ? `${layer.normalizer} → ` : ''}${activation}`;
  const g = v.gain;
  const gain = g ? ` · ${g.pass === 'backward' ? 'gradient ' : ''}gain ${factor(g.perLayer)}${g.layers > 1 ? ` (${factor(g.compound)} over ${g.layers})` : ''}` : '';
  return `${prefix} · ${param.current.label}${param.resolved ? ` · std ${short(param.resolved.std)}` : ''}${gain}`;
}

/** The lens of one layer: its title (with ⚠ only for warnings), tooltip, and whether it offers Apply. */
export function lensOf(layer: Layer, v: Verdict | undefined, level: AdviceLevel): { title: string; tooltip: string; apply: boolean } | undefined {
  const summary = v && lensSummary(layer, v);
  if (!v || !summary) return undefined;
  const shown = displayed(v, level);
  return { title: `${shown ? ICON[shown] : ''}${summary}`, tooltip: `${v.message} (${v.source.title})`, apply: shown !== undefined && shown !== 'ok' && v.fix !== undefined && !layer.rebuilt };
}

/** The verdict as the hover states it (Markdown-free text with a theme icon; the caller escapes and links). */
export function hoverLine(v: Verdict, level: AdviceLevel): { icon: string; text: string } {
  const shown = displayed(v, level);
  return { icon: shown ? ICON[shown].trim() : '', text: v.message };
}

/** `verdict` of `initlens analyze --json`. */
export function verdictJson(v: Verdict | undefined) {
  if (!v) return null;
  return {
    level: v.level,
    rule: v.rule,
    message: v.message,
    gain: v.gain ? { perLayer: v.gain.perLayer, layers: v.gain.layers, compound: v.gain.compound, pass: v.gain.pass, analytic: v.gain.analytic, ...(v.gain.measured ? { measured: v.gain.measured } : {}) } : null,
    source: { title: v.source.title, url: v.source.url },
    ...(v.fix ? { fix: v.fix.name } : {}),
    ...(v.pretrained !== undefined ? { pretrained: v.pretrained } : {}),
  };
}
