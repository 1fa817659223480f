/**
 * What the judge needs to know beyond one layer, read from the analysis and
 * the document's text: whether a class adds a skip connection, whether the
 * file is a transformer initialized the GPT-2 way, how many layers like a
 * layer stand in a chain. Pattern matches on the code as written (documented
 * heuristics, each with a test), not a second parse.
 */
import type { InitScheme } from '../init/schemes';
import { mainParam } from '../model/layer';
import type { Model, ModelAnalysis } from '../model/types';

/** What the document says about the network as a whole. */
export interface DocumentTraits {
  /** LayerNorm (or RMSNorm) plus attention: a transformer. */
  readonly transformer: boolean;
  /** The sublayers read a normalized input (`x + self.attn(self.ln_1(x))`). */
  readonly preLN: boolean;
  /** Weights initialized N(0, 0.02) somewhere in the file (GPT-2, BERT, nanoGPT). */
  readonly gptInit: boolean;
  /** Residual projections scaled by 1/√(2·n_layer) (GPT-2 §2.3, nanoGPT's `c_proj.weight`). */
  readonly residualScaled: boolean;
  /** Tied input/output embeddings (`wte.weight = lm_head.weight`). */
  readonly tiedEmbeddings: boolean;
}

/** What one model class says about itself. */
export interface ModelTraits {
  /** Its forward adds its input back (`x + self.fc2(...)`, `out += identity`, `self.shortcut(x)`). */
  readonly residual: boolean;
  /** Any normalizer layer in the class. */
  readonly normalized: boolean;
  /** Zero-γ of the last norm of each branch, or a `zero_init_residual` switch, is written in the file. */
  readonly zeroInitResidual: 'on' | 'available' | 'no';
  /** Fixup-style scaling of the branches (`fixup`, a `scale`/`alpha` multiplier of the branch, ReZero). */
  readonly scaled: boolean;
  /** Its forward concatenates each output to its input (DenseNet, ESRGAN's dense blocks): every layer reads the block input directly, no chain. */
  readonly dense: boolean;
  /** How many copies of the class are chained (the largest context count; 1 when built once). */
  readonly repeat: number;
}

const NORM_TYPE = /Norm/;

export function documentTraits(analysis: ModelAnalysis, text: string): DocumentTraits {
  const layers = analysis.models.flatMap((m) => m.layers);
  const layerNorm = layers.some((l) => /LayerNorm|RMSNorm/.test(l.type)) || /\b(LayerNorm|RMSNorm|layer_norm)\b/.test(text);
  const attention =
    layers.some((l) => /MultiheadAttention|Transformer/.test(l.type)) ||
    /class\s+\w*Attention\w*\s*[(:]|scaled_dot_product_attention|MultiHeadAttention|\.transpose\(\s*-2\s*,\s*-1\s*\)/.test(text);
  const gptInit = layers.some((l) => isStd002(mainParam(l)?.current.scheme)) || /normal_\([^)]*std\s*=\s*0\.02\b|trunc_normal_\([^)]*std\s*=\s*\.?0?\.02\b/.test(text);
  return {
    transformer: layerNorm && attention,
    preLN: /\+\s*self\.\w+\(\s*self\.\w*(ln|norm)\w*\(/i.test(text),
    gptInit,
    residualScaled: /sqrt\(\s*2\s*\*\s*[\w.]*n_layers?\b/.test(text) || /sqrt\(\s*2\.?0?\s*\*\s*[\w.]*(num_layers|depth|n_layers?)\)/.test(text),
    tiedEmbeddings: /\.weight\s*=\s*self\.[\w.]+\.weight\b/.test(text),
  };
}

function isStd002(s: InitScheme | null | undefined): boolean {
  return !!s && (s.kind === 'normal' || s.kind === 'trunc_normal') && Math.abs(s.std - 0.02) < 1e-12;
}

/** The text of a model's class or call. */
function source(model: Model, text: string): string {
  return text.slice(model.span.from, model.span.to);
}

const RESIDUAL = [
  /\+=\s*(identity|residual|shortcut|x|inp|inputs?|skip)\b/,
  /\+=\s*self\.(shortcut|downsample|skip)\w*\(/,
  /\+\s*self\.(shortcut|downsample|skip)\w*\(/,
  /\b(\w+)\s*=\s*\1\s*\+\s*self\.\w+\(/,
  /return\s+(x|inp|inputs?|h)\s*\+/,
  /\+\s*(identity|residual)\b/,
];

export function modelTraits(model: Model, text: string): ModelTraits {
  const src = source(model, text);
  const repeat = Math.max(1, ...(model.contexts ?? []).map((c) => c.count));
  const zeroOn = /(constant_|zeros_)\(\s*[\w.]*(bn|norm)\w*\.weight\s*(,\s*0(\.0)?\s*)?\)/.test(text) && !/zero_init_residual/.test(text);
  return {
    residual: RESIDUAL.some((r) => r.test(src)),
    normalized: model.layers.some((l) => l.role === 'normalizer' || NORM_TYPE.test(l.type) || l.normalizer !== undefined),
    zeroInitResidual: zeroOn ? 'on' : /zero_init_residual/.test(text) ? 'available' : 'no',
    dense: /(torch\.cat|concatenate)\(\s*[\[(]\s*(\w+)\s*,\s*\w+\s*[\])]/.test(src) && /for\s+\w+\s+in\b/.test(src),
    scaled: /fixup|rezero/i.test(src) || /\*\s*self\.(scale|alpha|gamma|res_scale|resweight)\b/.test(src),
    repeat,
  };
}
