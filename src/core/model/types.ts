/**
 * The plain description of models that the analysis produces and every
 * feature consumes (lenses, hovers, edits, CLI, sampling requests).
 */
import type { Recommendation } from '../init/recommend';
import type { InitScheme, ResolvedInit } from '../init/schemes';
import type { Activation } from './activations';
import type { Args, LayerRole, LayerSpec, ParamSpec, SizeProblem } from './catalog';
import type { Dim, Value } from './evaluate';
import type { LibraryModelUse } from './pretrained';
import type { InstanceTrees } from './tree';

/**
 * A range of the document (offsets). Not readonly: the analyzer moves the
 * spans of a cached model in place when text above it changes (see
 * `ModelAnalyzer`); consumers only read them.
 */
export interface Span {
  from: number;
  to: number;
}

/** The initialization in effect for one parameter. */
export interface CurrentInit {
  /** null when written in code but with arguments InitLens cannot resolve. */
  readonly scheme: InitScheme | null | undefined;
  readonly label: string;
  readonly source: 'default' | 'explicit';
  /** Where the explicit initialization is written. */
  readonly at?: Span;
  /**
   * The module-level statement that runs it after the model is built, outside
   * its class (`generator.apply(weights_init_normal)`, `nn.init.*(model[0].weight)`):
   * what draws from the stream between the construction and there comes first.
   */
  readonly ranAt?: Span;
  /**
   * The labels of earlier init calls that drew into this tensor before this one overwrote it
   * (`self.apply(f1)` then `self.apply(f2)`): they consumed the stream too.
   */
  readonly earlier?: readonly string[];
  /**
   * The class whose init (an `apply` function, a `modules()` or `named_parameters()`
   * loop) writes this tensor after this class is built, when it is not this class.
   * Init code written here would be overwritten there, so nothing is recommended here.
   */
  readonly by?: string;
}

export interface Param extends ParamSpec {
  readonly current: CurrentInit;
  readonly recommendation?: Recommendation;
  /** The recommendation's numbers for this shape, when the shape is known. */
  readonly recommended?: ResolvedInit;
  /** The current scheme's numbers, when resolvable. */
  readonly resolved?: ResolvedInit;
  /** Whether the current initialization already does what is recommended. */
  readonly agrees?: boolean;
  /** Element count, when the shape is known and the count is at most `Number.MAX_SAFE_INTEGER`. */
  readonly count?: number;
}

/** A size argument the library would reject, at the argument. */
export interface LayerProblem extends SizeProblem {
  /** The argument in the document, when it is written. */
  readonly at?: Span;
}

/** How the activation after a layer was found. */
export type ActivationSource = 'forward' | 'sequential' | 'argument' | 'builtin' | 'output';

export interface ActivationUse {
  readonly activation: Activation;
  readonly via: ActivationSource;
  /** Where the activation is written, when it is. */
  readonly at?: Span;
  /**
   * The module class of the file whose forward() decides it, when the flow left
   * the layer's own class (the next block's `bn1 → relu`, a child's first layer).
   */
  readonly through?: string;
}

export interface Layer {
  /** Name as in `named_modules()` (`fc1`, `features.0`), or the Keras layer variable/index. */
  readonly name: string;
  readonly type: string;
  readonly framework: 'torch' | 'keras';
  readonly role: LayerRole;
  readonly spec: LayerSpec;
  /** The constructor call. */
  readonly span: Span;
  /** 0-based line of the constructor call. */
  /** 0-based line; moved in place with the spans of a cached model. */
  line: number;
  readonly args: Args;
  readonly params: readonly Param[];
  /** The activation that follows; undefined when it cannot be determined. */
  readonly activation?: ActivationUse;
  /** A normalizer between the layer and its activation (`BatchNorm2d`). */
  readonly normalizer?: string;
  /** Fans of the main weight, as `torch.nn.init` / Keras compute them. */
  readonly fanIn?: Dim;
  readonly fanOut?: Dim;
  /** Exact; above `Number.MAX_SAFE_INTEGER` the exact digits as a symbol. */
  readonly paramCount: Dim;
  /**
   * Size arguments the library would reject (`nn.Linear(-5, 3)`). When set, no
   * number is derived from the layer's sizes: no fans, counts, resolved or
   * recommended numbers, no recommendation, no preview.
   */
  readonly problems?: readonly LayerProblem[];
  /** The `self.<attr>` the layer is assigned to, when it is (for init code). */
  readonly attribute?: string;
  /**
   * Kept in a plain Python list attribute (`self.layers = [...]`): built, but
   * PyTorch does not register it, so `modules()`, `apply()` and the model's
   * `parameters()` do not reach it.
   */
  readonly unregistered?: true;
  /**
   * The statement that rebuilt the module holding it (`self.resnet = nn.Sequential(*list(self.resnet.children())[:-1])`):
   * PyTorch names the layer differently from there on, so InitLens writes no code for it.
   */
  readonly rebuilt?: string;
  /** Keras: the `kernel_initializer=` argument, when written. */
  readonly kernelInitializer?: Span;
  /**
   * The layer in each context its class is built in, when there are several
   * (the layer itself then has what they share, the rest symbolic).
   */
  contexts?: readonly LayerContext[];
}

/** Where a module class is built, as the module tree follows it: `GPT` (the class that builds it), `GPTConfig defaults`, `ViT(dim=1024, …)`. */
export interface ModelContext {
  readonly label: string;
  /** The class of the file that builds it there (absent: built at module level, in another file, or with its defaults). */
  readonly builtBy?: string;
  /** Identical constructions (a ModuleList of 12 blocks). */
  readonly count: number;
}

/** A layer's numbers in one context of its class. */
export interface LayerContext extends ModelContext {
  readonly fanIn?: Dim;
  readonly fanOut?: Dim;
  /** The main weight's init in effect there, and its std. */
  readonly init?: string;
  readonly std?: number;
}

/**
 * `torch-sequential`: a free-standing model reached through its variable, an
 * `nn.Sequential(...)` or a single library layer (`fc = nn.Linear(4, 1)`, its layer named "").
 */
export type ModelKind = 'torch-module' | 'torch-sequential' | 'keras-sequential' | 'keras-functional' | 'keras-subclass';

export interface Model {
  readonly name: string;
  readonly kind: ModelKind;
  readonly framework: 'torch' | 'keras';
  /** The class definition or the `Sequential(...)` call. */
  readonly span: Span;
  /** 0-based line; moved in place with the spans of a cached model. */
  line: number;
  readonly layers: readonly Layer[];
  readonly paramCount: Dim;
  /** PyTorch classes: where init code goes. */
  readonly torch?: TorchClassInfo;
  /** PyTorch classes: the classes of the file it builds in `__init__`, where (their constructors draw from the same stream). */
  readonly submodules?: readonly { readonly className: string; readonly span: Span }[];
  /**
   * PyTorch classes: the contexts the module tree analyzed it in (absent: its
   * own defaults, nothing else builds it). Set on the cached model at every
   * analysis, as the classes that build it change.
   */
  contexts?: readonly ModelContext[];
}

export interface TorchClassInfo {
  /** The `__init__` method, if any. */
  readonly init?: Span;
  /** An existing `_init_weights`/`init_weights`/`reset_parameters` method taking only `self`. */
  readonly initMethod?: { readonly name: string; readonly span: Span; readonly called: boolean };
  /**
   * `self.<name> = nn.Parameter(<tensor>)` members of `__init__` (a ViT's `cls_token`): the tensor's
   * expression and, where the context gives it, its shape. Not layers: the signal engine reads them in forward.
   */
  readonly parameters?: readonly TorchParameter[];
  /** The plain values `__init__` ends with in this context: locals and `self.<attr>` (`patch_height`, `self.heads`), for the signal engine. */
  readonly initValues?: ReadonlyMap<string, Value>;
}

/** {@link TorchClassInfo.parameters}: one `self.<name> = nn.Parameter(<tensor>)`. */
export interface TorchParameter {
  readonly name: string;
  /** The tensor's expression (its draws lie inside). */
  readonly span: Span;
  readonly shape?: readonly number[];
  /** `torch.zeros(...)` / `torch.ones(...)`: every value, drawing nothing. */
  readonly fill?: 0 | 1;
  /** Why its values are not the tensor's (`nn.init.trunc_normal_(self.pos_embedding, std=.02)` later in `__init__`). */
  readonly rewritten?: string;
  /** The arithmetic with numbers around its draw (`torch.randn(dim) * 0.02`), innermost first; `unknown`: other arithmetic. */
  readonly steps?: readonly ScalarStep[];
}

/** One `tensor <op> number` (or `number <op> tensor`, `scalarLeft`), elementwise in float32. */
export interface ScalarStep {
  readonly op: '+' | '-' | '*' | '/' | 'unknown';
  readonly value: number;
  readonly scalarLeft: boolean;
}

/** Everything the analysis found in one document. */
export interface ModelAnalysis {
  readonly models: readonly Model[];
  /** Why parts were skipped (size cap, syntax errors), for status messages. */
  readonly notes: readonly string[];
  /** Library model constructions and weight loads (pretrained.ts), in source order; absent when not looked for. */
  readonly libraryModels?: readonly LibraryModelUse[];
  /** With {@link AnalysisOptions.instances}: a root class's instance trees (valid until the analyzer's next call). */
  readonly instances?: InstanceTrees;
}
