/**
 * The advice rules: every rule the judge applies, stated once with its source
 * (paper or library documentation). The README section "What InitLens
 * recommends and why" lists the same table (test/unit/advice.test.ts keeps the
 * two in sync). Each rule can be turned off (`initlens.advice.disable`,
 * `[tool.initlens] advice.disable`); the judge then goes on to the next.
 */
import type { Measurements } from './measured';

/** A paper or a documentation page. */
export interface Source {
  readonly title: string;
  readonly url: string;
}

export const ADVICE_RULES = [
  'pretrained',
  'symmetry',
  'signal-gain',
  'normalizer',
  'output',
  'residual',
  'transformer',
  'embedding',
  'lstm',
  'bias',
  'selu',
  'scheme',
  'mup',
] as const;

export type AdviceRule = (typeof ADVICE_RULES)[number];

/** The fan_in from which a model counts as wide for the opt-in μP note (GPT-2 small's 768 and up; ResNet's last stage 512). */
export const MUP_WIDTH = 512;

export interface AdviceRuleInfo {
  /** One line: what the rule says. */
  readonly summary: string;
  readonly source: Source;
}

export const SOURCES = {
  he: { title: 'He et al. 2015, Delving Deep into Rectifiers (§2.2)', url: 'https://arxiv.org/abs/1502.01852' },
  glorot: { title: 'Glorot & Bengio 2010, Understanding the difficulty of training deep feedforward neural networks', url: 'https://proceedings.mlr.press/v9/glorot10a.html' },
  meanField: { title: 'Schoenholz et al. 2017, Deep Information Propagation', url: 'https://arxiv.org/abs/1611.01232' },
  ioffe: { title: 'Ioffe & Szegedy 2015, Batch Normalization', url: 'https://arxiv.org/abs/1502.03167' },
  goyal: { title: 'Goyal et al. 2017, Accurate, Large Minibatch SGD (§5.1, zero γ); torchvision resnet zero_init_residual', url: 'https://arxiv.org/abs/1706.02677' },
  fixup: { title: 'Zhang et al. 2019, Fixup Initialization: Residual Learning Without Normalization', url: 'https://arxiv.org/abs/1901.09321' },
  gpt2: { title: 'Radford et al. 2019, GPT-2 (§2.3: residual weights ×1/√N); Megatron-LM (Shoeybi et al. 2019)', url: 'https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf' },
  embedding: { title: 'torch.nn.Embedding (weights N(0, 1)); GPT-2 / nanoGPT N(0, 0.02)', url: 'https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html' },
  jozefowicz: { title: 'Jozefowicz et al. 2015, An Empirical Exploration of Recurrent Network Architectures (forget bias 1); Saxe et al. 2014 (orthogonal)', url: 'https://proceedings.mlr.press/v37/jozefowicz15.html' },
  bias: { title: 'CS231n, Setting up the data and the model: bias initialization', url: 'https://cs231n.github.io/neural-networks-2/#init' },
  selu: { title: 'Klambauer et al. 2017, Self-Normalizing Neural Networks (LeCun normal)', url: 'https://arxiv.org/abs/1706.02515' },
  transfer: { title: 'torchvision: Models and pre-trained weights; Yosinski et al. 2014, How transferable are features in deep neural networks?', url: 'https://pytorch.org/vision/stable/models.html' },
  mup: { title: 'Yang et al. 2021, Tensor Programs V: Tuning Large Neural Networks via Zero-Shot Hyperparameter Transfer (μP); microsoft/mup', url: 'https://arxiv.org/abs/2203.03466' },
  calculateGain: { title: 'torch.nn.init.calculate_gain', url: 'https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.calculate_gain' },
} as const satisfies Record<string, Source>;

export const ADVICE_RULE_INFO: Readonly<Record<AdviceRule, AdviceRuleInfo>> = {
  pretrained: {
    summary:
      'Weights loaded after construction (torchvision weights=/pretrained=True, timm pretrained=True, from_pretrained, load_state_dict, Keras applications, load_model) are not initialized at random: no init advice for them; the layers added or replaced after loading (a new head) are advised as any random layer.',
    source: SOURCES.transfer,
  },
  symmetry: { summary: 'A weight initialized to a constant (zeros included) is a warning at any depth: every unit of the layer computes the same thing and gets the same gradient, so they stay identical.', source: SOURCES.glorot },
  'signal-gain': {
    summary:
      'A warning only when the variance gain of layer + activation (measured by the signal engine where it runs the model, else analytic), compounded over the layers like it in the model, shrinks or grows the signal (forward) or the gradient (backward) more than 100×; otherwise the gain is stated and fine.',
    source: SOURCES.meanField,
  },
  normalizer: { summary: 'A BatchNorm/LayerNorm/GroupNorm right after the layer re-normalizes its output: the weight scale does not matter for the forward pass. No warning.', source: SOURCES.ioffe },
  output: {
    summary: 'Output and logit layers (no activation, softmax, log-softmax) are fine with the default unless the gain is extreme; a zero or small last-layer init is a common option.',
    source: SOURCES.goyal,
  },
  residual: {
    summary: 'Residual networks: zero-init the last norm γ of each residual branch (torchvision zero_init_residual). Without normalizers the sum grows block after block: scale the branches (Fixup).',
    source: SOURCES.fixup,
  },
  transformer: { summary: 'Pre-LN transformers: N(0, 0.02) for linear and embedding weights, residual projections ×1/√(2·n_layer) (GPT-2, Megatron). Kaiming is never advised there.', source: SOURCES.gpt2 },
  embedding: { summary: "Embeddings: PyTorch's default N(0, 1) is fine in general; GPT-style models use N(0, 0.02) (and tie input/output embeddings).", source: SOURCES.embedding },
  lstm: { summary: 'LSTM/GRU: orthogonal recurrent weights and an LSTM forget-gate bias of 1.', source: SOURCES.jozefowicz },
  bias: { summary: 'Biases start at 0 (or 0.01 before a ReLU); a large constant bias is a note.', source: SOURCES.bias },
  selu: { summary: 'SELU networks assume LeCun normal (variance 1/fan_in) to self-normalize.', source: SOURCES.selu },
  mup: {
    summary: `Opt-in (initlens.advice.widthScaling, [tool.initlens] advice.width-scaling): in wide models (fan_in ≥ ${MUP_WIDTH}), a note on the μP parametrization: the readout (output layer) zero-initialized or scaled 1/width, attention logits scaled 1/d_head instead of 1/√d_head, so that tuned hyperparameters carry over across widths.`,
    source: SOURCES.mup,
  },
  scheme: {
    summary: 'A scheme other than the textbook one for the activation, with a healthy gain, is at most a neutral note ("He would give std 0.047; yours gives 0.041: fine").',
    source: SOURCES.he,
  },
};

/** The compound factor beyond which the signal-gain rule warns (and its inverse): two orders of magnitude. */
export const COMPOUND_LIMIT = 100;

/** `problems`: only warnings are shown; `suggestions`: notes too. */
export type AdviceLevel = 'problems' | 'suggestions';
export const ADVICE_LEVELS: readonly AdviceLevel[] = ['problems', 'suggestions'];

export interface AdviceOptions {
  readonly level: AdviceLevel;
  readonly disabled: ReadonlySet<AdviceRule>;
  /** The opt-in μP note (rule `mup`): `initlens.advice.widthScaling`, `[tool.initlens] advice.width-scaling`. */
  readonly widthScaling?: boolean;
  /** Gains measured by the signal engine (measure.ts), for the models it could run: they drive the signal-gain rule there. */
  readonly measured?: Measurements;
}

export const DEFAULT_ADVICE: AdviceOptions = { level: 'problems', disabled: new Set() };
