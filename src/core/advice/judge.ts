/**
 * One judgement per layer: what the layer gets, whether that is a problem and
 * how big (the analytic gain of gain.ts), what to do and why, with the source.
 * Lenses, hovers, diagnostics, the panel and `initlens analyze --json` all
 * show this verdict and nothing else, so they cannot disagree. The rules and
 * their sources are stated in rules.ts; the order below is the order in which
 * they are asked (the first that speaks decides).
 */
import { calculateGain, type InitScheme } from '../init/schemes';
import { activationLabel, type Activation } from '../model/activations';
import { mainParam } from '../model/layer';
import { copiesNote } from '../model/encoderStack';
import type { Layer, Model, ModelAnalysis, Param } from '../model/types';
import { documentTraits, modelTraits, type DocumentTraits, type ModelTraits } from './context';
import { chainGain, hasGain, layerMoments, worst } from './gain';
import type { MeasuredLayer, ModelMeasurement } from './measured';
import { transferFacts, withTransfer } from './pretrained';
import { ADVICE_RULE_INFO, COMPOUND_LIMIT, DEFAULT_ADVICE, MUP_WIDTH, SOURCES, type AdviceOptions, type AdviceRule, type Source } from './rules';

export type VerdictLevel = 'ok' | 'note' | 'warning';

/** The analytic gain a verdict rests on. */
export interface GainReport {
  /** Std ratio of one layer (geometric mean over the chain). */
  readonly perLayer: number;
  /** Layers like this one in the chain the compound is taken over (itself included). */
  readonly layers: number;
  /** perLayer over the chain: the std ratio from its input to its output. */
  readonly compound: number;
  /** Which signal the figures are of: activations (forward) or gradients (backward). */
  readonly pass: 'forward' | 'backward';
  /** True: mean-field formulas of gain.ts; false: measured by the signal engine on the model (`measured` says how). */
  readonly analytic: boolean;
  /** The run the figures come from, when measured (measure.ts). */
  readonly measured?: MeasuredRun;
}

/** How a measured gain was measured: the Signal panel's in-effect run with its default input. */
export interface MeasuredRun {
  readonly seed: string;
  readonly inputShape: readonly number[];
  readonly backend: string;
  /** The weights were PyTorch's bit for bit (else samples of the same distributions). */
  readonly exact: boolean;
}

export interface Verdict {
  readonly level: VerdictLevel;
  readonly rule: AdviceRule;
  /** One or two sentences, with the numbers. */
  readonly message: string;
  readonly gain: GainReport | null;
  readonly source: Source;
  /** What Apply writes, when the verdict has a cure the scheme table gives. */
  readonly fix?: { readonly scheme: InitScheme; readonly name: string };
  /** Rule `pretrained`: the weights the layer's values are loaded from (`IMAGENET1K_V1`, `resnet18.pth`). */
  readonly pretrained?: string;
}

/** Everything the judge reads beside the layer. */
export interface JudgeContext {
  readonly model: Model;
  readonly doc: DocumentTraits;
  readonly traits: ModelTraits;
  /** Layers like this one in its chain, itself included. */
  readonly similar: number;
  /**
   * Those layers in model order, once (`similar` is their count times the copies of the class chained):
   * the chain's compound is taken over their own weight scales, not this layer's to the power `similar`.
   */
  readonly chain?: readonly Layer[];
  /** An output or logit layer. */
  readonly output: boolean;
  /** This layer's output is what a residual branch adds back. */
  readonly branchEnd: boolean;
  /** The normalizer after the layer (before or after its activation), when there is one. */
  readonly normalizer?: string;
  readonly options: AdviceOptions;
  /** The model's measurement by the signal engine, when it could run it (measure.ts). */
  readonly measurement?: ModelMeasurement;
}

/** A factor as shown: two significant digits, exponent form far from 1. */
export function factor(x: number): string {
  if (x === 0) return '0';
  if (x >= 0.01 && x < 1000) return `×${Number(x.toPrecision(2))}`;
  return `×${x.toExponential(1).replace('e', 'e')}`;
}

const std = (x: number) => Number(x.toPrecision(2)).toString();

function verdict(level: VerdictLevel, rule: AdviceRule, message: string, gain: GainReport | null = null, fix?: Verdict['fix'], source?: Source): Verdict {
  return { level, rule, message, gain, source: source ?? ADVICE_RULE_INFO[rule].source, ...(fix ? { fix } : {}) };
}

const CONSTANT = new Set(['zeros', 'ones', 'constant']);

/**
 * The paper behind the scheme a note names: Xavier/Glorot is Glorot & Bengio's, LeCun normal
 * (`nonlinearity="linear"`, Keras's fan_in scale 1) the SELU paper's choice, He/Kaiming He et al.'s.
 */
function schemeSource(scheme: InitScheme): Source {
  if (scheme.kind === 'xavier_normal' || scheme.kind === 'xavier_uniform') return SOURCES.glorot;
  if ((scheme.kind === 'kaiming_normal' || scheme.kind === 'kaiming_uniform') && scheme.nonlinearity === 'linear') return SOURCES.selu;
  if (scheme.kind === 'variance_scaling') return scheme.mode === 'fan_avg' ? SOURCES.glorot : scheme.scale === 1 ? SOURCES.selu : SOURCES.he;
  return SOURCES.he;
}

/**
 * w = fan_in·σ² of the weight in effect: from its resolved std and the layer's
 * fan_in where both are known, else from a fan-relative scheme (exact for a
 * chain of square layers), else from a context of the class with numbers.
 */
export function weightScale(layer: Layer, param: Param): number | undefined {
  const s = param.current.scheme;
  if (!s) return undefined;
  if (s.kind === 'orthogonal') return s.gain * s.gain;
  if (s.kind === 'eye' || s.kind === 'dirac') return 1;
  if (param.resolved && typeof layer.fanIn === 'number') return layer.fanIn * param.resolved.std ** 2;
  switch (s.kind) {
    case 'kaiming_normal':
    case 'kaiming_uniform':
      return calculateGain(s.nonlinearity, s.a) ** 2;
    case 'xavier_normal':
    case 'xavier_uniform':
      return s.gain * s.gain;
    case 'variance_scaling':
      return s.scale;
  }
  for (const c of layer.contexts ?? []) if (typeof c.fanIn === 'number' && c.std !== undefined) return c.fanIn * c.std ** 2;
  return undefined;
}

function report(activation: Activation, w: number, layers: number): GainReport {
  const g = worst(chainGain(activation, w, layers));
  return { perLayer: g.perLayer, layers, compound: g.compound, pass: g.pass, analytic: true };
}

/** A layer's own gain moves the signal by more than this factor to count as compounding a chain's problem (scripts/advice/keys.py's OWN). */
export const OWN_FACTOR = 1.1;

/**
 * The analytic gain over the actual chain: each layer like this one with its own weight scale,
 * `repeat` times over, from q = 1; and this layer's own gain in the pass judged (at q = 1).
 * Undefined where a layer of the chain has no known scale (the caller falls back to this layer's).
 */
const chainMemo = new WeakMap<readonly Layer[], Map<number, GainReport | null>>();

function chainReport(activation: Activation, chain: readonly Layer[], repeat: number, self: number): { g: GainReport; own: number } | undefined {
  let perRepeat = chainMemo.get(chain);
  if (!perRepeat) chainMemo.set(chain, (perRepeat = new Map()));
  let g = perRepeat.get(repeat);
  if (g === undefined) perRepeat.set(repeat, (g = chainCompound(activation, chain, repeat)));
  if (!g) return undefined;
  const one = chainGain(activation, self, 1);
  return { g, own: g.pass === 'forward' ? one.forward1 : one.backward1 };
}

function chainCompound(activation: Activation, chain: readonly Layer[], repeat: number): GainReport | null {
  const ws: number[] = [];
  for (const l of chain) {
    const p = mainParam(l);
    // A constant weight has variance 0 but no variance gain to speak of: the symmetry rule judges it, the chain goes without it.
    if (p?.current.scheme && CONSTANT.has(p.current.scheme.kind)) continue;
    const w = p ? weightScale(l, p) : undefined;
    if (w === undefined || !(w > 0)) return null;
    ws.push(w);
  }
  if (ws.length < 2) return null;
  let q = 1;
  let logChi = 0;
  for (let r = 0; r < repeat; r++) {
    for (const w of ws) {
      const m = layerMoments(activation, w, q);
      logChi += Math.log(m.chi);
      q = m.q;
    }
  }
  const layers = ws.length * repeat;
  const forward = Math.sqrt(q);
  const backward = Math.exp(logChi / 2);
  const pass = Math.abs(Math.log(backward || Number.MIN_VALUE)) > Math.abs(Math.log(forward || Number.MIN_VALUE)) ? 'backward' : 'forward';
  const compound = pass === 'forward' ? forward : backward;
  return { perLayer: compound ** (1 / layers), layers, compound, pass, analytic: true };
}

/**
 * The measured gain over the chain: the product of each layer's own measured factor (measure.ts:
 * from its input to the next weight layer's, forward; the gradient the other way, backward), in the
 * pass farther from 1; and this layer's own factor in that pass. Undefined where the measurement
 * lacks a layer of the chain.
 */
function measuredReport(m: ModelMeasurement, chain: readonly Layer[], self: Layer, alone = false): { g: GainReport; own: number } | undefined {
  const mine = m.layers.get(self.name);
  if (!mine) return undefined;
  // Alone (an output layer): its own output over its input, as the output rule judges it.
  const gains = (r: MeasuredLayer) => (alone ? { f: r.outStd / r.inStd, b: r.inGrad / r.outGrad } : { f: r.nextStd / r.inStd, b: r.inGrad / r.nextGrad });
  let logF = 0;
  let logB = 0;
  for (const l of alone ? [self] : chain) {
    const row = m.layers.get(l.name);
    if (!row) return undefined;
    const { f, b } = gains(row);
    if (!(f > 0) || !(b > 0) || !Number.isFinite(f) || !Number.isFinite(b)) return undefined;
    logF += Math.log(f);
    logB += Math.log(b);
  }
  const n = alone ? 1 : chain.length;
  const pass = Math.abs(logB) > Math.abs(logF) ? 'backward' : 'forward';
  const log = pass === 'forward' ? logF : logB;
  const run: MeasuredRun = { seed: m.seed.toString(), inputShape: m.inputShape, backend: m.backend, exact: m.exact };
  const own = gains(mine);
  return { g: { perLayer: Math.exp(log / n), layers: n, compound: Math.exp(log), pass, analytic: false, measured: run }, own: pass === 'forward' ? own.f : own.b };
}

/** Whether a layer whose own gain is `own` compounds the chain's problem: it moves the signal the chain's way by more than 10%. */
const compounds = (g: GainReport, own: number) => (g.compound < 1 ? own < 1 / OWN_FACTOR : own > OWN_FACTOR);

const extreme = (g: GainReport) => g.compound > COMPOUND_LIMIT || g.compound < 1 / COMPOUND_LIMIT;

/** `measured: torch.manual_seed(0), input 8×784`: how a measured gain was measured. */
function runText(m: MeasuredRun): string {
  return `measured: torch.manual_seed(${m.seed}), input ${m.inputShape.join('×')}${m.exact ? '' : ', weights sampled (distribution only)'}`;
}

function gainText(g: GainReport, own?: number): string {
  if (g.measured) {
    const own1 = own ?? g.perLayer;
    const which = g.pass === 'forward' ? 'the signal' : 'the gradient';
    const mine = `${which}'s std changes ${factor(own1)} through this layer`;
    const over = g.layers > 1 ? `; over the ${g.layers} layers like it ${which} ${g.compound < 1 ? 'shrinks' : 'grows'} ${factor(g.compound)}` : '';
    const spared = own !== undefined && extreme(g) && !compounds(g, own) ? ', to which this layer does not add' : '';
    return `${mine} (${runText(g.measured)})${over}${spared}`;
  }
  const what = g.pass === 'forward' ? "the signal's std" : "the gradient's std";
  const over = g.layers > 1 ? `; over the ${g.layers} layers like it ${factor(g.compound)}` : '';
  // Where this layer's scale differs from its chain's (a first layer with a larger fan_in), both are stated.
  const mine = own !== undefined && Math.abs(Math.log(own / g.perLayer)) > Math.log(1.05) ? `${factor(own)} in this layer, ` : '';
  const spared = own !== undefined && extreme(g) && !compounds(g, own) ? ', to which this layer does not add' : '';
  return `${what} changes ${mine}${factor(g.perLayer)} per layer (analytic)${over}${spared}`;
}

function now(param: Param, layer: Layer): string {
  const label = `${param.current.source === 'default' ? `${layer.framework === 'torch' ? 'PyTorch' : 'Keras'}'s default ` : ''}${param.current.label}`;
  return param.resolved ? `${label} (std ${std(param.resolved.std)})` : label;
}

/** The recommendation of the scheme table as a fix, when it cures the chain. */
function cure(layer: Layer, param: Param, activation: Activation, layers: number): Verdict['fix'] | undefined {
  const rec = param.recommendation;
  if (!rec) return undefined;
  const fake: Param = { ...param, current: { scheme: rec.scheme, label: rec.name, source: 'explicit' }, ...(param.recommended ? { resolved: param.recommended } : {}) };
  const w = weightScale(layer, fake);
  if (w === undefined || extreme(report(activation, w, layers))) return undefined;
  return { scheme: rec.scheme, name: rec.name };
}

/** The judgement of one layer; undefined for layers with no weight to judge (normalizers, containers). */
export function judge(layer: Layer, ctx: JudgeContext): Verdict | undefined {
  return judgeLayer(layer, ctx);
}

function judgeLayer(layer: Layer, ctx: JudgeContext): Verdict | undefined {
  if (layer.problems || layer.role === 'normalizer') return undefined;
  const param = mainParam(layer);
  if (!param) return undefined;
  const on = (r: AdviceRule) => !ctx.options.disabled.has(r);
  const scheme = param.current.scheme;
  const activation = layer.activation?.activation;
  const actText = activation ? activationLabel(activation) : 'an unknown activation';

  // Symmetry first: no depth or normalizer cures identical units.
  if (scheme && CONSTANT.has(scheme.kind) && param.kind !== 'embedding' && on('symmetry')) {
    const zero = scheme.kind === 'zeros' || (scheme.kind === 'constant' && scheme.value === 0);
    if (zero && ctx.output && on('output')) {
      return verdict('ok', 'output', `${layer.name} starts at zero: a common choice for the last layer (its gradient still differs from unit to unit, as the layers before it are random).`);
    }
    if (zero && ctx.branchEnd && ctx.traits.residual) {
      return verdict('ok', 'residual', `${layer.name} starts at zero: each residual branch begins as the identity (Fixup, ReZero, zero_init_residual).`);
    }
    const rec = param.recommendation;
    return verdict(
      'warning',
      'symmetry',
      `${layer.name}.${param.name} starts as a constant (${param.current.label}): every unit of the layer computes the same output and gets the same gradient, so they stay identical at any depth.${rec ? ` Use ${rec.name}.` : ''}`,
      null,
      rec ? { scheme: rec.scheme, name: rec.name } : undefined,
    );
  }

  if (param.kind === 'embedding' && on('embedding')) {
    const s = param.resolved?.std;
    if (ctx.doc.transformer && ctx.doc.gptInit) {
      if (s !== undefined && Math.abs(s - 0.02) < 1e-9) return verdict('ok', 'embedding', `N(0, 0.02): the GPT-2 convention for token and position embeddings${ctx.doc.tiedEmbeddings ? ', tied to the output layer here' : ''}.`);
      if (s !== undefined && s > 0.2) return verdict('note', 'embedding', `${now(param, layer)}; GPT-style models initialize embeddings N(0, 0.02), as the rest of this file does.`);
    }
    return verdict('ok', 'embedding', `${now(param, layer)}: embeddings are looked up, not summed, so their scale sets the input scale only; PyTorch's N(0, 1) is fine (GPT-style models use 0.02).`);
  }

  const recurrent = layer.params.find((p) => p.kind === 'recurrent');
  if (recurrent && on('lstm')) {
    const orthogonal = recurrent.current.scheme?.kind === 'orthogonal';
    const lstm = /LSTM/i.test(layer.type);
    if (orthogonal) return verdict('ok', 'lstm', `${recurrent.name} is orthogonal${lstm && layer.framework === 'keras' ? ' and the forget-gate bias starts at 1 (unit_forget_bias)' : ''}: the recurrent norm is preserved over time steps.`);
    return verdict(
      'note',
      'lstm',
      `${recurrent.name}: ${recurrent.current.label}. Orthogonal recurrent weights (nn.init.orthogonal_)${lstm ? ' and a forget-gate bias of 1' : ''} keep gradients alive over long sequences.`,
    );
  }

  if (layer.spec.role === 'composite') return verdict('ok', 'scheme', `${layer.type} initializes its own sublayers (${now(param, layer)})${copiesNote(layer)}.`);

  const w = weightScale(layer, param);

  if (ctx.doc.transformer && layer.framework === 'torch' && on('transformer')) {
    const g = w !== undefined && activation && hasGain(activation) ? report(activation, w, 1) : null;
    const proj = /(c_proj|out_proj|o_proj|down_proj|to_out|fc2|w2|proj)(\.\d+)?$/.test(layer.name) && activation?.kind === 'identity';
    const scaledHere = /sqrt\(\s*2\s*\*/.test(param.current.label);
    if (ctx.options.widthScaling && on('mup') && wide(layer) && ATTENTION_INPUT.test(layer.name)) {
      return verdict(
        'note',
        'mup',
        `Attention projection of a wide model (fan_in ${layer.fanIn}): ${now(param, layer)}. Under μP the attention logits are scaled by 1/d_head instead of 1/√d_head (and the readout by 1/width_mult), so that tuned hyperparameters stay valid across widths (mup.MuReadout, attn_mult).`,
        g,
      );
    }
    if (ctx.doc.gptInit) {
      if (proj && (scaledHere || ctx.doc.residualScaled)) {
        return verdict('ok', 'transformer', `Residual projection: N(0, 0.02/√(2·n_layer)), the GPT-2/Megatron scaling that keeps the residual stream's variance from growing with depth (written in this file).`, g);
      }
      if (proj) return verdict('note', 'transformer', `Residual projection: GPT-2 scales it by 1/√(2·n_layer) (N(0, 0.02/√(2·n_layer))) so the residual stream does not grow with depth.`, g);
      return verdict('ok', 'transformer', `${now(param, layer)}: the GPT-2/Megatron convention for transformer weights${ctx.doc.preLN ? ' (pre-LN: every sublayer reads a normalized input)' : ''}.`, g);
    }
    return verdict(
      'note',
      'transformer',
      `${now(param, layer)} in a transformer: fine with LayerNorm; GPT-2/Megatron use N(0, 0.02) with residual projections ×1/√(2·n_layer).`,
      g,
    );
  }

  if (ctx.output && on('output')) {
    const act = activation && hasGain(activation) ? activation : { kind: 'identity' as const };
    const g = (ctx.measurement && measuredReport(ctx.measurement, [layer], layer, true)?.g) ?? (w !== undefined ? report(act, w, 1) : null);
    if (g && extreme(g) && on('signal-gain')) {
      return verdict('warning', 'signal-gain', `Output layer ${layer.name}: ${now(param, layer)}, ${gainText(g)}, far from 1.`, g, cure(layer, param, act, 1), SOURCES.meanField);
    }
    if (ctx.options.widthScaling && on('mup') && wide(layer)) {
      return verdict(
        'note',
        'mup',
        `Readout of a wide model (fan_in ${layer.fanIn}): ${now(param, layer)} is the standard parametrization, fine${g ? ` (gain ${factor(g.perLayer)})` : ''}. Under μP, which keeps tuned hyperparameters valid across widths, the readout is zero-initialized or its output scaled by 1/width_mult (mup.MuReadout).`,
        g,
      );
    }
    return verdict('ok', 'output', `Output layer (${actText}): ${now(param, layer)} is fine${g ? ` (gain ${factor(g.perLayer)}${g.measured ? `, ${runText(g.measured)}` : ''})` : ''}; a zero or small init of the last layer is a common option.`, g);
  }

  const normalizer = ctx.normalizer;
  if (normalizer && on('normalizer')) {
    if (ctx.traits.residual && ctx.branchEnd && on('residual')) {
      const z = ctx.traits.zeroInitResidual;
      if (z === 'on') return verdict('ok', 'residual', `${normalizer} after it re-normalizes the output, and this file zero-initializes the last norm γ of each residual branch (Goyal et al. 2017).`, null, undefined, SOURCES.goyal);
      return verdict(
        'note',
        'residual',
        `${normalizer} after it re-normalizes the output (scale irrelevant); zero-initializing this last norm's γ makes each residual block start as the identity${z === 'available' ? ' (zero_init_residual=True in this file)' : ' (torchvision: zero_init_residual=True)'}.`,
        null,
        undefined,
        SOURCES.goyal,
      );
    }
    return verdict('ok', 'normalizer', `${normalizer} after it re-normalizes the output: the weight's scale (${now(param, layer)}) does not matter for the forward pass.`);
  }

  // Every weight layer of a residual branch compounds the sum's growth, and Fixup rescales each of them
  // (the last to zero, the others by L^(−1/(2m−2))): all of them warn, not only the branch's end.
  const inBranch = ctx.branchEnd || (layer.role === 'weight' && !SHORTCUT.test(layer.name));
  if (ctx.traits.residual && !ctx.traits.normalized && inBranch && on('residual')) {
    const growth = branchGrowth(ctx.model);
    if (growth !== undefined) {
      const blocks = ctx.traits.repeat;
      const compound = growth ** blocks;
      const g: GainReport = { perLayer: growth, layers: blocks, compound, pass: 'forward', analytic: true };
      const text = `the residual sum's std grows ${factor(growth)} per block (analytic: √(1 + branch gain²))${blocks > 1 ? `; over the ${blocks} blocks ${factor(compound)}` : ''}`;
      const m = branchLayers(ctx.model);
      if (ctx.traits.scaled) {
        if (ctx.branchEnd) return verdict('ok', 'residual', `Residual branch without normalizers, scaled in this file: ${text}.`, g);
      } else if (compound > COMPOUND_LIMIT) {
        const cure = ctx.branchEnd
          ? 'Fixup: zero-init this last layer of the branch'
          : `Fixup: scale this layer of the branch by L^(−1/(2m−2)) = ${blocks}^(−1/${2 * m - 2}) = ${std(blocks ** (-1 / (2 * m - 2)))}, and zero-init the branch's last layer`;
        return verdict('warning', 'residual', `Residual network without normalizers: ${text}. ${cure}.`, g);
      } else if (ctx.branchEnd) {
        return verdict('note', 'residual', `Residual network without normalizers: ${text}: fine here; Fixup-style scaling keeps it so at any depth.`, g);
      }
    }
  }

  // Measured where the signal engine ran the model; else the analytic gain, which needs an elementwise activation and a known scale.
  const byRun = ctx.measurement ? measuredReport(ctx.measurement, ctx.chain ?? [layer], layer) : undefined;
  if (!byRun && (!activation || !hasGain(activation) || w === undefined)) {
    const why = !activation ? 'the activation after it could not be determined' : w === undefined ? 'its std or fan_in is not known' : `${actText} is not elementwise`;
    return verdict('note', 'signal-gain', `${now(param, layer)}: no gain computed (${why}).`);
  }

  const measured = byRun ?? (ctx.chain && ctx.chain.length > 1 && activation && w !== undefined ? chainReport(activation, ctx.chain, ctx.similar / ctx.chain.length, w) : undefined);
  const g = measured?.g ?? report(activation as Activation, w as number, ctx.similar);
  if (extreme(g) && (!measured || compounds(g, measured.own)) && on('signal-gain')) {
    const fix = activation && hasGain(activation) ? cure(layer, param, activation, ctx.similar) : undefined;
    const rec = param.recommendation;
    const remedy = fix && activation
      ? ` ${fix.name} gives ${factor(report(activation, weightScale(layer, { ...param, current: { scheme: fix.scheme, label: fix.name, source: 'explicit' }, ...(param.recommended ? { resolved: param.recommended } : {}) }) ?? 1, ctx.similar).compound)} over them (analytic).`
      : rec && activation && hasGain(activation)
        ? ` No init keeps ${ctx.similar} ${actText} layers healthy${activation.kind === 'sigmoid' ? ' (its derivative is at most 1/4)' : ''}: add normalizers or use a ReLU-family activation.`
        : '';
    return verdict('warning', 'signal-gain', `${now(param, layer)} before ${actText}: ${gainText(g, measured?.own)}.${remedy}`, g, fix, SOURCES.meanField);
  }

  if (activation?.kind === 'selu' && w !== undefined && on('selu') && Math.abs(w - 1) > 0.05) {
    return verdict('note', 'selu', `${now(param, layer)} before SELU: self-normalization assumes LeCun normal (variance 1/fan_in); ${gainText(g, measured?.own)}.`, g);
  }

  const bias = layer.params.find((p) => p.kind === 'bias' && p.current.source === 'explicit');
  const b = bias?.current.scheme;
  if (b && b.kind === 'constant' && Math.abs(b.value) > 0.1 && on('bias')) {
    return verdict('note', 'bias', `${bias.name} starts at ${b.value}: biases usually start at 0 (or 0.01 before a ReLU); a large constant shifts every unit alike.`, g);
  }

  if (param.recommendation && param.agrees === false && on('scheme')) {
    const rec = param.recommendation;
    const theirs = param.recommended ? `${rec.name} would give std ${std(param.recommended.std)}` : `${rec.name} would be the textbook choice`;
    const yours = param.resolved ? `yours gives ${std(param.resolved.std)}` : `yours is ${param.current.label}`;
    return verdict('note', 'scheme', `${theirs}; ${yours}: fine (${gainText(g, measured?.own)}).`, g, { scheme: rec.scheme, name: rec.name }, schemeSource(rec.scheme));
  }

  return verdict('ok', 'signal-gain', `${now(param, layer)} before ${actText}: ${gainText(g, measured?.own)}: fine.`, g);
}

const SHORTCUT = /shortcut|downsample|skip/;

/** The projections that make a transformer's queries and keys (the logits μP rescales). */
const ATTENTION_INPUT = /(^|\.)(c_attn|qkv|to_qkv|in_proj|q_proj|k_proj|query|key|to_q|to_k|wq|wk|self_attn)$/i;

/** A layer of a wide model, for the opt-in μP note. */
function wide(layer: Layer): boolean {
  return typeof layer.fanIn === 'number' && layer.fanIn >= MUP_WIDTH;
}

/** The weight layers of a residual class's branch (m of Fixup): every weight layer that is not a shortcut. */
function branchLayers(model: Model): number {
  return model.layers.filter((l) => l.role === 'weight' && !SHORTCUT.test(l.name)).length;
}

/** √(1 + g²) for the branch of a residual class: its weight layers in order, from q = 1. */
function branchGrowth(model: Model): number | undefined {
  let q = 1;
  let any = false;
  for (const layer of model.layers) {
    if (layer.role !== 'weight' || SHORTCUT.test(layer.name)) continue;
    const param = mainParam(layer);
    const w = param ? weightScale(layer, param) : undefined;
    if (w === undefined) return undefined;
    const a = layer.activation?.activation;
    q = layerMoments(a && hasGain(a) ? a : { kind: 'identity' }, w, q).q;
    any = true;
  }
  return any ? Math.sqrt(1 + q) : undefined;
}

/** The layers whose output a residual branch adds back: the last weight layer of the class that is not a shortcut. */
function branchEnd(model: Model): Layer | undefined {
  return [...model.layers].reverse().find((l) => l.role === 'weight' && !SHORTCUT.test(l.name));
}

/**
 * A normalizer that follows a layer of a Sequential before the next weight
 * layer (DCGAN's conv → LeakyReLU → BatchNorm): the order of a Sequential is
 * its order of execution. Undefined elsewhere.
 */
function followingNormalizer(layers: readonly Layer[], i: number): string | undefined {
  const seq = /^(.*?)\.?(\d+)$/.exec(layers[i].name);
  if (!seq || layers[i].role !== 'weight') return undefined;
  for (let j = i + 1; j < layers.length; j++) {
    const next = /^(.*?)\.?(\d+)$/.exec(layers[j].name);
    if (!next || next[1] !== seq[1]) return undefined;
    if (layers[j].role === 'normalizer') return layers[j].type;
    if (layers[j].role === 'weight') return undefined;
  }
  return undefined;
}

/** Whether a layer is an output or logit layer. */
function isOutput(model: Model, layer: Layer): boolean {
  const a = layer.activation;
  if (!a) return false;
  if (a.activation.kind === 'softmax' || a.activation.kind === 'log_softmax') return true;
  // What a block built by another class returns feeds that class, not the loss.
  if ((model.contexts ?? []).some((c) => c.builtBy)) return false;
  if (a.via === 'output') return true;
  const last = [...model.layers].reverse().find((l) => l.role !== 'normalizer');
  return last === layer && (a.activation.kind === 'identity' || a.activation.kind === 'sigmoid');
}

/** The verdicts of one analyzed document. */
export interface Advice {
  verdict(layer: Layer): Verdict | undefined;
}

const memo = new WeakMap<ModelAnalysis, Map<string, Advice>>();

const optionsKey = (o: AdviceOptions) => `${o.level}|${[...o.disabled].sort().join(',')}|${o.measured?.id ?? ''}|${o.widthScaling ? 'mup' : ''}`;

/** Judges every layer of a document (memoized per analysis and options: every consumer gets the same objects). */
export function adviseAnalysis(analysis: ModelAnalysis, text: string, options: AdviceOptions = DEFAULT_ADVICE): Advice {
  let perOptions = memo.get(analysis);
  if (!perOptions) memo.set(analysis, (perOptions = new Map()));
  const key = optionsKey(options);
  const hit = perOptions.get(key);
  if (hit) return hit;
  const doc = documentTraits(analysis, text);
  const transfer = transferFacts(analysis, text);
  const verdicts = new Map<Layer, Verdict | undefined>();
  for (const model of analysis.models) {
    const traits = modelTraits(model, text);
    // A measurement counts for a model judged as one chain: not for a class whose copies are chained elsewhere (repeat) or sit side by side.
    const measurement = traits.repeat === 1 ? options.measured?.models.get(model.name) : undefined;
    const end = traits.residual ? branchEnd(model) : undefined;
    const normalizers = new Map(model.layers.map((l, i) => [l, l.normalizer ?? followingNormalizer(model.layers, i)]));
    // "Layers like it": weight layers of the model with the same activation (and slope) and no normalizer after them.
    // The chains, one array per such class: linear in the layers,
    // and one array shared by the chain's layers, so that its compound is computed once (chainReport's memo).
    const groups = new Map<string, Layer[]>();
    const groupOf = (l: Layer) => {
      const a = l.activation?.activation;
      return a && l.role === 'weight' && !l.normalizer && !normalizers.get(l) ? `${a.kind}/${a.slope ?? ''}` : undefined;
    };
    for (const l of model.layers) {
      const g = groupOf(l);
      if (g === undefined) continue;
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(l);
    }
    for (const layer of model.layers) {
      const group = groupOf(layer);
      const chain = group !== undefined ? groups.get(group)! : [layer];
      // A residual class's copies sit side by side on the skip path, not in one chain.
      const similar = traits.dense ? 1 : traits.residual ? chain.length : chain.length * traits.repeat;
      const v = judge(layer, { model, doc, traits, similar, ...(traits.dense ? {} : { chain }), output: isOutput(model, layer), branchEnd: layer === end, ...(normalizers.get(layer) ? { normalizer: normalizers.get(layer) } : {}), options, ...(measurement ? { measurement } : {}) });
      // Transfer learning (pretrained.ts): loaded layers are not advised, added ones say what they sit beside.
      verdicts.set(layer, withTransfer(layer, v, transfer, options));
    }
  }
  // One decision for the lens's Apply and the diagnostic's quick fix (src/core/diagnostics/rules.ts `applyFix`):
  // an init call written once for several layers (a modules() loop, a function given to `apply`) is rewritten
  // only where its cure is the same for all of them; else neither offers one (a line of the layer's own would
  // run before a later `apply` and be overwritten).
  const byCall = new Map<string, Set<string>>();
  for (const model of analysis.models) {
    for (const layer of model.layers) {
      const p = mainParam(layer);
      if (p?.current.source !== 'explicit' || !p.current.at) continue;
      const k = `${p.current.at.from}:${p.current.at.to}`;
      if (!byCall.has(k)) byCall.set(k, new Set());
      byCall.get(k)!.add(JSON.stringify(p.recommendation?.scheme ?? null));
    }
  }
  for (const [layer, v] of verdicts) {
    const at = mainParam(layer)?.current.at;
    if (!v?.fix || !at || mainParam(layer)?.current.source !== 'explicit') continue;
    if ((byCall.get(`${at.from}:${at.to}`)?.size ?? 1) > 1) {
      const { fix: _dropped, ...rest } = v;
      verdicts.set(layer, rest);
    }
  }
  const advice: Advice = { verdict: (layer) => verdicts.get(layer) };
  perOptions.set(key, advice);
  return advice;
}
