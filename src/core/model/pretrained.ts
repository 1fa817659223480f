/**
 * Library models and pretrained weights in a document (transfer learning):
 * torchvision architectures (`resnet18(weights="IMAGENET1K_V1")`, `pretrained=True`),
 * `timm.create_model(..., pretrained=True)`, any `X.from_pretrained(...)` (Hugging Face),
 * `load_state_dict(...)` on a model or a submodule, Keras applications (their
 * `weights=` defaults to "imagenet") and `keras.models.load_model(...)`. Read from
 * the syntax tree, calls resolved through the imports; at module level and in
 * methods (`self.backbone = resnet18(weights=...)` in `__init__`).
 *
 * A library constructor draws from the torch stream whether or not weights are
 * loaded after it (torchvision builds the model at random, then copies the
 * weights in: `torchvision/models/resnet.py` `_resnet`), so constructions with
 * `weights=None` are listed too; `pretrained` says which ones load weights.
 */
import { dottedName, type SyntaxNode, type Tree } from '../python/parse';
import { qualify, type ImportBinding } from '../python/imports';
import { callArgs, constantValue, descendants, statements, stringValue } from '../python/syntax';
import { maybeLibraryModel } from './catalog';
import type { Span } from './types';

export type LibrarySource = 'torchvision' | 'timm' | 'transformers' | 'state_dict' | 'keras-applications' | 'keras-load_model';

/** One construction of a library model, or one load of weights into a model. */
export interface LibraryModelUse {
  /** `construct`: builds a model (and may load weights); `load`: loads weights into a model built before (`load_state_dict`). */
  readonly kind: 'construct' | 'load';
  readonly source: LibrarySource;
  readonly framework: 'torch' | 'keras';
  /** The callee, qualified through the imports where it can be (`torchvision.models.resnet18`), else as written. */
  readonly callee: string;
  /** What is built: `resnet18`, `resnet50` (timm's name), `BertModel`, `ResNet50`; undefined for loads. */
  readonly architecture?: string;
  /**
   * The weights loaded, as shown: `IMAGENET1K_V1` (`ResNet18_Weights.IMAGENET1K_V1`), `DEFAULT`,
   * `pretrained=True`, `imagenet`, `bert-base-uncased`, `resnet18.pth`. Undefined: random init (`weights=None`).
   */
  readonly weights?: string;
  /** What it is assigned to (`model`, `self.backbone`) or, for a load, what loads (`model`, `self.backbone`, `self`). */
  readonly target?: string;
  /** The class whose method holds the call (`Net` for `self.backbone = ...` in `Net.__init__`). */
  readonly inClass?: string;
  /** That method's name. */
  readonly inMethod?: string;
  /** The module-level function holding the call, when it is in one (not in a class). */
  readonly inFunction?: string;
  /**
   * Inside an `if`, `for`, `while` or `try` of its function or module (`if args.resume: net.load_state_dict(...)`):
   * the file also runs without it, so a conditional load does not make the layers pretrained.
   */
  readonly conditional: boolean;
  /** torchvision's `num_classes=` as an integer literal (undefined: not given; null: given, not a literal). */
  readonly numClasses?: number | null;
  /** Keyword arguments other than the weights, `progress` and `num_classes` (they may change what the constructor draws). */
  readonly otherArgs: boolean;
  /** The call. */
  readonly span: Span;
  /** 0-based line of the call. */
  readonly line: number;
}

/** Whether a use loads pretrained weights. */
export const isPretrained = (u: LibraryModelUse): boolean => u.weights !== undefined;

/** Keyword arguments that choose weights rather than change the architecture. */
const WEIGHT_ARGS = new Set(['weights', 'pretrained', 'progress', 'num_classes']);

const KERAS_APPLICATIONS = /^(tensorflow\.keras|keras|tf_keras|tensorflow\.python\.keras)\.applications\.(\w+\.)*([A-Z]\w*)$/;
const KERAS_LOAD_MODEL = /^(tensorflow\.keras|keras|tf_keras)\.(models\.|saving\.)?load_model$/;
const TORCHVISION = /^torchvision\.models\.(\w+\.)*([a-z]\w*)$/;

/** Receivers of `load_state_dict` that are no model: `optimizer`, `opt_g`, `self.scheduler`, `lr_scheduler`, `scaler`. */
const NOT_MODELS = /(^|\.)(\w*optim\w*|opt(_\w+)?|\w*sched\w*|\w*scaler)$/i;

/** At most this many characters of an argument are shown as the weights' name. */
const LABEL_LENGTH = 60;

function label(node: SyntaxNode, text: string): string {
  const s = stringValue(node, text);
  if (s !== undefined) return s;
  // `torch.load("resnet18.pth", map_location=...)`, `torch.load(PATH)`: what it reads.
  if (node.name === 'CallExpression' && /(^|\.)load$/.test(text.slice(node.firstChild?.from ?? 0, node.firstChild?.to ?? 0))) {
    const list = node.getChild('ArgList');
    const first = list ? callArgs(list, text).positional[0] : undefined;
    if (first) return label(first, text);
  }
  const raw = text.slice(node.from, node.to).replace(/\s+/g, ' ');
  return raw.length > LABEL_LENGTH ? `${raw.slice(0, LABEL_LENGTH - 1)}…` : raw;
}

/** torchvision's `weights=`: `ResNet18_Weights.IMAGENET1K_V1` → `IMAGENET1K_V1`; None → undefined. */
function torchvisionWeights(args: ReturnType<typeof callArgs>, text: string): string | undefined {
  const w = args.keywords.get('weights');
  if (w && constantValue(w, text) !== null) {
    const dotted = dottedName(w, text);
    return dotted && dotted.length > 1 && /_Weights$/.test(dotted[dotted.length - 2]) ? dotted[dotted.length - 1] : label(w, text);
  }
  const p = args.keywords.get('pretrained');
  if (p && constantValue(p, text) === true) return 'pretrained=True';
  return undefined;
}

function integer(node: SyntaxNode | undefined, text: string): number | null | undefined {
  if (!node) return undefined;
  const raw = text.slice(node.from, node.to);
  return node.name === 'Number' && /^\d+$/.test(raw) ? Number(raw) : null;
}

/** The statement a call is the value of, through method chains (`resnet18(...).to(device)`, `.eval()`): its target's text. */
function assignedTo(call: SyntaxNode, text: string): string | undefined {
  let node: SyntaxNode = call;
  while (node.parent && (node.parent.name === 'MemberExpression' || (node.parent.name === 'CallExpression' && node.parent.firstChild?.name === 'MemberExpression' && node.parent.firstChild.firstChild && node.parent.firstChild.firstChild.from === node.from))) {
    node = node.parent;
  }
  const assign = node.parent;
  if (assign?.name !== 'AssignStatement' || assign.lastChild?.from !== node.from) return undefined;
  const target = assign.firstChild;
  return target && target.nextSibling?.name === 'AssignOp' ? text.slice(target.from, target.to) : undefined;
}

const BRANCHES = new Set(['IfStatement', 'ForStatement', 'WhileStatement', 'TryStatement']);

/** The class and method, or the module-level function, a node sits in, and whether a branch holds it there. */
function enclosing(node: SyntaxNode, text: string): { inClass?: string; inMethod?: string; inFunction?: string; conditional: boolean } {
  let fn: string | undefined;
  let conditional = false;
  for (let p = node.parent; p; p = p.parent) {
    if (BRANCHES.has(p.name) && fn === undefined) conditional = true;
    if (p.name === 'FunctionDefinition' && fn === undefined) {
      const n = p.getChild('VariableName');
      fn = n ? text.slice(n.from, n.to) : '';
    }
    if (p.name === 'ClassDefinition') {
      const n = p.getChild('VariableName');
      return { ...(n ? { inClass: text.slice(n.from, n.to) } : {}), ...(fn !== undefined ? { inMethod: fn } : {}), conditional };
    }
  }
  return { ...(fn !== undefined ? { inFunction: fn } : {}), conditional };
}

/** Line breaks between `start` and each offset asked, in increasing order (one pass over the text). */
function lineCounter(text: string, start = 0): (offset: number) => number {
  let pos = start;
  let line = 0;
  return (offset) => {
    if (offset < pos) {
      pos = start;
      line = 0;
    }
    for (let i = text.indexOf('\n', pos); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    pos = offset;
    return line;
  };
}

/** The uses in one top-level statement, lines counted from its start. */
function statementUses(stmt: SyntaxNode, text: string, imports: readonly ImportBinding[]): LibraryModelUse[] {
  const out: LibraryModelUse[] = [];
  const lineOf = lineCounter(text, stmt.from);
  for (const call of descendants(stmt, 'CallExpression')) {
    const callee = call.firstChild;
    const list = call.getChild('ArgList');
    if (!callee || !list) continue;
    const dotted = dottedName(callee, text);
    const last = dotted?.[dotted.length - 1];
    if (!last) continue;
    const calleeText = text.slice(callee.from, callee.to);
    const qualified = dotted && qualify(dotted, imports);
    const args = callArgs(list, text);
    const base = { span: { from: call.from, to: call.to }, ...enclosing(call, text) };
    const otherArgs = [...args.keywords.keys()].some((k) => !WEIGHT_ARGS.has(k)) || args.hasStarred;
    const push = (use: Omit<LibraryModelUse, 'span' | 'line' | 'inClass' | 'inMethod' | 'inFunction' | 'conditional' | 'otherArgs'>) => {
      const target = use.target;
      out.push({ ...use, ...(target === undefined ? {} : { target }), ...base, otherArgs, line: lineOf(call.from) });
    };
    const target = assignedTo(call, text);
    const t = target === undefined ? {} : { target };
    // Optimizers, schedulers and gradient scalers have a load_state_dict too: not models.
    if (last === 'load_state_dict' && callee.name === 'MemberExpression' && callee.firstChild && !NOT_MODELS.test(text.slice(callee.firstChild.from, callee.firstChild.to))) {
      const first = args.positional[0] ?? args.keywords.get('state_dict');
      const owner = callee.firstChild;
      push({ kind: 'load', source: 'state_dict', framework: 'torch', callee: calleeText, weights: first ? label(first, text) : 'a state dict', target: text.slice(owner.from, owner.to) });
      continue;
    }
    if (last === 'from_pretrained' && callee.name === 'MemberExpression' && dotted && dotted.length >= 2) {
      const cls = dotted[dotted.length - 2];
      const first = args.positional[0] ?? args.keywords.get('pretrained_model_name_or_path');
      push({ kind: 'construct', source: 'transformers', framework: /^TF[A-Z]/.test(cls) ? 'keras' : 'torch', callee: qualified ?? calleeText, architecture: cls, weights: first ? label(first, text) : 'pretrained', ...t });
      continue;
    }
    if (!qualified) continue;
    if (qualified === 'timm.create_model' || qualified === 'timm.models.create_model') {
      const name = args.positional[0] ?? args.keywords.get('model_name');
      const pretrained = args.keywords.get('pretrained') ?? args.positional[1];
      const loads = pretrained !== undefined && constantValue(pretrained, text) === true;
      push({ kind: 'construct', source: 'timm', framework: 'torch', callee: qualified, architecture: name ? label(name, text) : 'a timm model', ...(loads ? { weights: 'pretrained=True' } : {}), ...t });
      continue;
    }
    const tv = TORCHVISION.exec(qualified);
    if (tv && (maybeLibraryModel(calleeText) || args.keywords.has('weights') || args.keywords.has('pretrained'))) {
      const weights = torchvisionWeights(args, text);
      const n = integer(args.keywords.get('num_classes'), text);
      push({ kind: 'construct', source: 'torchvision', framework: 'torch', callee: qualified, architecture: tv[2], ...(weights === undefined ? {} : { weights }), ...(n === undefined ? {} : { numClasses: n }), ...t });
      continue;
    }
    const ka = KERAS_APPLICATIONS.exec(qualified);
    if (ka) {
      // Keras applications load "imagenet" unless told `weights=None`.
      const w = args.keywords.get('weights');
      const weights = w === undefined ? 'imagenet' : constantValue(w, text) === null ? undefined : label(w, text);
      push({ kind: 'construct', source: 'keras-applications', framework: 'keras', callee: qualified, architecture: ka[3], ...(weights === undefined ? {} : { weights }), ...t });
      continue;
    }
    if (KERAS_LOAD_MODEL.test(qualified)) {
      const first = args.positional[0] ?? args.keywords.get('filepath');
      push({ kind: 'construct', source: 'keras-load_model', framework: 'keras', callee: qualified, architecture: 'a saved model', weights: first ? label(first, text) : 'a saved model', ...t });
    }
  }
  return out;
}

/** Uses per top-level statement text, offsets and lines relative to the statement (valid for one set of imports). */
export interface LibraryModelCache {
  imports: string;
  readonly statements: Map<string, readonly LibraryModelUse[]>;
}

const shift = (u: LibraryModelUse, from: number, line: number): LibraryModelUse => ({ ...u, span: { from: u.span.from + from, to: u.span.to + from }, line: u.line + line });

/**
 * Every library model construction and weight load in the document, in source order: one pass over
 * the calls of each top-level statement, reused for a statement whose text did not change (`cache`,
 * kept by the analyzer between keystrokes).
 */
export function libraryModels(tree: Tree, text: string, imports: readonly ImportBinding[], cache?: LibraryModelCache): LibraryModelUse[] {
  const key = imports.map((b) => `${b.local}=${b.target}`).join(',');
  if (cache && cache.imports !== key) {
    cache.imports = key;
    cache.statements.clear();
  }
  const out: LibraryModelUse[] = [];
  const lineOf = lineCounter(text);
  const live = new Set<string>();
  for (const stmt of statements(tree.topNode)) {
    const source = text.slice(stmt.from, stmt.to);
    live.add(source);
    let rel = cache?.statements.get(source);
    if (!rel) {
      rel = statementUses(stmt, text, imports).map((u) => shift(u, -stmt.from, 0));
      cache?.statements.set(source, rel);
    }
    if (rel.length === 0) continue;
    const line = lineOf(stmt.from);
    for (const u of rel) out.push(shift(u, stmt.from, line));
  }
  if (cache) for (const k of cache.statements.keys()) if (!live.has(k)) cache.statements.delete(k);
  return out;
}

/** How a use is shown: `pretrained (IMAGENET1K_V1): not initialized at random`. */
export function pretrainedTitle(use: LibraryModelUse): string {
  return `pretrained (${use.weights ?? 'random'}): not initialized at random`;
}
