/**
 * Instances of module classes given as arguments: `mae = MAE(encoder=v)` after
 * `v = ViT(image_size=256, dim=1024, ...)` (lucidrains' MAE reads
 * `encoder.pos_embedding.shape[-2:]` and `encoder.to_patch_embedding[2].weight.shape[-1]`).
 * The instance is held as an object of the scope (evaluate.ts), its entries
 * what its constructor sets, run in the context it is built with:
 *
 * - `self.<x>` constants (`self.dim = dim` → `v.dim`) and tensor shapes
 *   (`self.pos_embedding = nn.Parameter(torch.randn(65, 1024))` → `v.pos_embedding.shape`);
 * - each layer under its access path (`v.to_patch_embedding[2]`, `v.mlp_head`):
 *   its tensors' shapes (`.weight.shape`) and the constructor arguments PyTorch keeps
 *   as attributes ({@link KEPT}: `.in_features`, `.out_channels`, `.kernel_size`);
 * - the instances of the file's classes it builds (`v.transformer.layers[0][0]`),
 *   {@link LIMITS.treeDepth} levels down.
 *
 * What the analysis does not know is no entry, so a read of it stays unknown.
 * The work is bounded per analyzed file by {@link LIMITS.instanceAnalyses}.
 */
import { collectImports } from '../python/imports';
import { dottedName, parsePython, type SyntaxNode, type Tree } from '../python/parse';
import { importCandidates, pythonImports, targetImports } from '../workspace/modules';
import { statements, unwrap } from '../python/syntax';
import { exceeds, LIMITS } from '../limits';
import { fileObjects } from './analyze';
import { bindCall, Context } from './context';
import { moduleAccess } from './catalog';
import { valueSize, type Entries, type ObjectCalls, type Value } from './evaluate';
import type { LayerDraft } from './layer';
import { selfReturned } from './members';
import { configClasses, moduleScope, type ConfigClass } from './moduleScope';
import { analyzeTorchClass, torchModuleClasses } from './torch';
import { bindArguments, classRef, signatureOfClass, type Binding, type ClassSignature } from './tree';

/** A parsed Python file whose module classes may be built as instances. */
export interface InstanceFile {
  readonly text: string;
  readonly tree: Tree;
}

/** Class analyses made for instances while one file is analyzed, against {@link LIMITS.instanceAnalyses}. */
export interface InstanceBudget {
  analyses: number;
}

/**
 * Constructor arguments PyTorch keeps as attributes of the same name, by layer
 * type (torch/nn/modules: linear.py, conv.py, sparse.py, batchnorm.py,
 * normalization.py, rnn.py, activation.py). `tuple`: kept as an n-tuple
 * (conv.py's `_ntuple`: `Conv2d(3, 8, 3).kernel_size == (3, 3)`; LayerNorm's
 * `normalized_shape` of an int is `(n,)`).
 */
const KEPT: Readonly<Record<string, { readonly plain: readonly string[]; readonly tuple?: readonly string[]; readonly n?: number }>> = {
  Linear: { plain: ['in_features', 'out_features'] },
  Bilinear: { plain: ['in1_features', 'in2_features', 'out_features'] },
  ...Object.fromEntries(
    [1, 2, 3].flatMap((n) => [
      [`Conv${n}d`, { plain: ['in_channels', 'out_channels', 'groups'], tuple: ['kernel_size', 'stride', 'dilation'], n }],
      [`ConvTranspose${n}d`, { plain: ['in_channels', 'out_channels', 'groups'], tuple: ['kernel_size', 'stride', 'dilation', 'output_padding'], n }],
    ]),
  ),
  Embedding: { plain: ['num_embeddings', 'embedding_dim'] },
  EmbeddingBag: { plain: ['num_embeddings', 'embedding_dim'] },
  ...Object.fromEntries(['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d'].map((t) => [t, { plain: ['num_features'] }])),
  LayerNorm: { plain: [], tuple: ['normalized_shape'], n: 1 },
  GroupNorm: { plain: ['num_groups', 'num_channels'] },
  ...Object.fromEntries(['RNN', 'LSTM', 'GRU'].map((t) => [t, { plain: ['input_size', 'hidden_size', 'num_layers'] }])),
  ...Object.fromEntries(['RNNCell', 'LSTMCell', 'GRUCell'].map((t) => [t, { plain: ['input_size', 'hidden_size'] }])),
  MultiheadAttention: { plain: ['embed_dim', 'num_heads'] },
};

const isValue = (v: unknown): v is Value => v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every(isValue));

/** What a layer holds as attributes: its tensors' shapes where known, and {@link KEPT} arguments. */
function layerEntries(layer: LayerDraft, at: string): [string, Value][] {
  const out: [string, Value][] = [];
  if (layer.spec.framework !== 'torch' || layer.problems.length > 0) return out;
  for (const p of layer.spec.params(layer.args)) {
    if (p.shape.every((d) => typeof d === 'number')) out.push([`${at}${moduleAccess(p.name)}.shape`, p.shape as number[]]);
  }
  const kept = KEPT[layer.spec.type];
  for (const name of kept?.plain ?? []) {
    const v = layer.args.get(name);
    if (isValue(v)) out.push([`${at}.${name}`, v]);
  }
  for (const name of kept?.tuple ?? []) {
    const v = layer.args.get(name);
    if (typeof v === 'number') out.push([`${at}.${name}`, Array.from({ length: kept?.n ?? 1 }, () => v)]);
    else if (Array.isArray(v) && isValue(v)) out.push([`${at}.${name}`, v]);
  }
  return out;
}

/** A file's module classes, prepared once: its context (imports, module scope), signatures and config classes. */
export class InstanceSource {
  private prepared?: {
    readonly ctx: Context;
    readonly signatures: ReadonlyMap<string, ClassSignature>;
    readonly nodes: ReadonlyMap<string, SyntaxNode>;
    readonly configs: ReadonlyMap<string, ConfigClass>;
    readonly functions: ReadonlyMap<string, SyntaxNode>;
  };
  private readonly memo = new Map<string, Entries | undefined>();

  constructor(readonly file: InstanceFile) {}

  private prepare() {
    if (this.prepared) return this.prepared;
    const { text, tree } = this.file;
    const top = statements(tree.topNode);
    const imports = collectImports(tree, text);
    const objects = fileObjects(top, text, imports);
    const scope = moduleScope(top, text, objects);
    const ctx = new Context(text, imports, scope, objects);
    const classes = top.filter((s) => s.name === 'ClassDefinition');
    const torch = torchModuleClasses(classes, ctx);
    const nodes = new Map<string, SyntaxNode>();
    for (const c of classes) {
      const n = c.getChild('VariableName');
      if (n) nodes.set(ctx.slice(n), c);
    }
    const signatures = new Map<string, ClassSignature>();
    for (const name of torch) {
      const node = nodes.get(name);
      if (node) signatures.set(name, signatureOfClass(name, node, ctx));
    }
    const moduleAt = new Set([...torch].flatMap((n) => (nodes.has(n) ? [(nodes.get(n) as SyntaxNode).from] : [])));
    const configs = new Map(configClasses(top.filter((s) => !moduleAt.has(s.from)), text, scope, torch).map((c) => [c.name, c]));
    const functions = new Map<string, SyntaxNode>();
    for (const s of top) {
      const n = s.name === 'FunctionDefinition' ? s.getChild('VariableName') : null;
      if (n) functions.set(ctx.slice(n), s);
    }
    return (this.prepared = { ctx, signatures, nodes, configs, functions });
  }

  /** The file's module classes by name (each name's last definition). */
  get signatures(): ReadonlyMap<string, ClassSignature> {
    return this.prepare().signatures;
  }

  /** The file's config classes, for arguments built from them (`GPTConfig(n_layer=6)`). */
  get configs(): ReadonlyMap<string, ConfigClass> {
    return this.prepare().configs;
  }

  /**
   * The entries of an instance of `className` built with `binding` (module
   * docs above), relative to the instance (`.dim`, `.to_patch_embedding[2].weight.shape`);
   * undefined when the class is no module class of the file, or beyond the limits.
   */
  entries(className: string, binding: Binding, budget: InstanceBudget, depth = 0): Entries | undefined {
    const key = JSON.stringify([className, binding.values, binding.refs, binding.unknown]);
    if (this.memo.has(key)) return this.memo.get(key);
    const { ctx, signatures, nodes, configs, functions } = this.prepare();
    const node = nodes.get(className);
    if (!node || !signatures.has(className) || depth >= LIMITS.treeDepth.value || exceeds('instanceAnalyses', budget.analyses + 1)) return undefined;
    budget.analyses++;
    // Memoized before it is computed: a class that builds itself ends here.
    this.memo.set(key, undefined);
    let result: ReturnType<typeof analyzeTorchClass>;
    try {
      result = analyzeTorchClass(node, ctx, functions, { classes: signatures, configs, classNodes: nodes, context: { binding, inherited: [], label: className }, instance: true });
    } catch (error) {
      // A construct the analysis mishandles leaves the instance unknown.
      if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
      return undefined;
    }
    if (!result?.instance) return undefined;
    const out: [string, Value][] = [];
    let size = 0;
    const add = (entries: Iterable<readonly [string, Value]>) => {
      for (const [k, v] of entries) {
        // Every entry is right on its own: beyond the bound, the rest of the instance is unknown.
        if (exceeds('constantElements', size + valueSize(v))) return;
        size += valueSize(v);
        out.push([k, v]);
      }
    };
    add([...result.instance.scope].flatMap(([k, v]): [string, Value][] => (k.startsWith('self.') ? [[k.slice('self'.length), v]] : [])));
    for (const layer of result.draft.layers) {
      // Left out: a layer at an unknown place, in a plain list (no submodule of the instance), or replaced.
      if (layer.name.split('.').includes('?') || layer.unregistered || layer.rebuilt) continue;
      add(layerEntries(layer, moduleAccess(layer.name)));
    }
    for (const site of result.sites) {
      // A block built as another's argument is held wherever that class keeps it: no path of the instance.
      if (site.argument || site.path.split('.').includes('?')) continue;
      const inner = this.entries(site.className, site.binding, budget, depth + 1);
      if (inner) add(inner.map(([k, v]) => [`${moduleAccess(site.path)}${k}`, v] as const));
    }
    this.memo.set(key, out);
    return out;
  }
}

/** Where a callee's class is defined, as the caller's imports or own classes say. */
export type InstanceResolver = (callee: SyntaxNode) => { readonly source: InstanceSource; readonly className: string } | undefined;

/**
 * Whether the instance a call builds is given to another call: the call is an
 * argument itself (`MAE(encoder=ViT(...))`), or the name it is assigned to
 * appears as one in the file (`v = ViT(...)`, then `MAE(encoder=v)`). Others
 * (`model = Net()`) are not analyzed as instances: a cheap test, before the work.
 */
function givenOn(call: SyntaxNode, text: string): boolean {
  let node: SyntaxNode = call;
  while (node.parent && (node.parent.name === 'MemberExpression' || node.parent.name === 'CallExpression' || node.parent.name === 'ParenthesizedExpression')) node = node.parent;
  const parent = node.parent;
  if (parent?.name === 'ArgList') return true;
  const target = parent?.name === 'AssignStatement' ? parent.firstChild : null;
  if (target?.name !== 'VariableName' || target.nextSibling?.name !== 'AssignOp') return false;
  const name = text.slice(target.from, target.to);
  return new RegExp(`[(,]\\s*(?:\\w+\\s*=\\s*)?${name}\\s*[,)]`).test(text);
}

/**
 * Object calls that also build instances of the module classes `resolve`
 * finds, their arguments bound in the caller's scope (`caller`: the calling
 * file, its imports and config classes); `base` answers first
 * (`GPT.get_default_config()`).
 */
export function instanceCalls(caller: InstanceSource, resolve: InstanceResolver, budget: InstanceBudget, base?: ObjectCalls): ObjectCalls {
  const { text, tree } = caller.file;
  let binder: Context | undefined;
  let plain: Context | undefined;
  let nesting = 0;
  const calls: ObjectCalls = (call, scope) => {
    const found = base?.(call, scope);
    if (found) return found;
    // `ViT(...).to(device)` is the instance too.
    const node = unwrap(selfReturned(call, (plain ??= new Context(text, [], new Map()))));
    const callee = node.name === 'CallExpression' ? node.firstChild : null;
    const target = callee ? resolve(callee) : undefined;
    if (!target || nesting >= LIMITS.treeDepth.value || !givenOn(call, text)) return undefined;
    const sig = target.source.signatures.get(target.className);
    binder ??= new Context(text, collectImports(tree, text), new Map(), calls);
    const at = scope ?? new Map<string, Value>();
    const bound = sig && bindCall(node, binder, at);
    if (!sig || !bound) return undefined;
    nesting++;
    try {
      // Class arguments name library layers only: a class of another file is no reference of the caller's.
      const binding = bindArguments(bound, sig, at, binder, caller.configs, (n) => classRef(n, binder as Context, () => undefined));
      return target.source.entries(target.className, binding, budget);
    } finally {
      nesting--;
    }
  };
  return calls;
}

/**
 * Where a callee of `importer` is defined: a module class of its own (`own`), or of a
 * file it imports the class (or the module) from, as `read` gives that file;
 * files are read at the first callee named by an import, at most {@link LIMITS.importers}.
 */
export function instanceResolver(importer: InstanceFile & { readonly path: string }, own: InstanceSource, roots: readonly string[], read: ((path: string) => string | undefined) | undefined): InstanceResolver {
  const { text, tree } = importer;
  // Read at the first callee that needs them (a keystroke's analysis of a file without instances reads nothing).
  let ownNames: Set<string> | undefined;
  let written: ReturnType<typeof pythonImports> | undefined;
  let locals: Set<string> | undefined;
  let imported: { classes: Map<string, { source: InstanceSource; className: string }>; modules: Map<string, InstanceSource> } | undefined;
  const load = (imports: ReturnType<typeof pythonImports>) => {
    const classes = new Map<string, { source: InstanceSource; className: string }>();
    const modules = new Map<string, InstanceSource>();
    let files = 0;
    for (const path of read ? importCandidates(importer.path, imports, roots) : []) {
      if (files >= LIMITS.importers.value) break;
      const content = read?.(path);
      if (content === undefined || content.includes('\u0000') || exceeds('workspaceFileBytes', content.length)) continue;
      files++;
      const source = new InstanceSource({ text: content, tree: parsePython(content) });
      const found = targetImports(importer.path, imports, path, new Set(source.signatures.keys()), roots);
      for (const [local, className] of found.classes) if (!classes.has(local)) classes.set(local, { source, className });
      for (const m of found.modules) if (!modules.has(m)) modules.set(m, source);
    }
    return { classes, modules };
  };
  return (callee) => {
    const name = dottedName(callee, text);
    if (!name) return undefined;
    ownNames ??= new Set(statements(tree.topNode).flatMap((s) => {
      const n = s.name === 'ClassDefinition' ? s.getChild('VariableName') : null;
      return n ? [text.slice(n.from, n.to)] : [];
    }));
    if (name.length === 1 && ownNames.has(name[0])) return { source: own, className: name[0] };
    if (!read) return undefined;
    written ??= pythonImports(tree, text);
    locals ??= new Set(written.flatMap((imp) => imp.names.map((n) => n.local)));
    // Only a name an import binds can be another file's class: no file is read for the others.
    if (!locals.has(name[0])) return undefined;
    imported ??= load(written);
    if (name.length === 1) return imported.classes.get(name[0]);
    const source = imported.modules.get(name.slice(0, -1).join('.'));
    const className = name[name.length - 1];
    return source?.signatures.has(className) ? { source, className } : undefined;
  };
}

/** Where the analyzed file is in its workspace, and the workspace's files as known now (the extension's index, the CLI's project). */
export interface InstanceFiles {
  readonly path: string;
  readonly roots: readonly string[];
  /** A file's text, or undefined where it is not in the workspace (or not read yet). */
  readonly read: (path: string) => string | undefined;
}

/**
 * The instance calls of a document's module-level code (`enc = Encoder(64)`, then `model = Head(enc)`): of its own
 * module classes, and with `files` of the classes it imports from the workspace's files.
 */
export function ownInstanceCalls(file: InstanceFile, base: ObjectCalls | undefined, files?: InstanceFiles): ObjectCalls {
  const source = new InstanceSource(file);
  return instanceCalls(source, instanceResolver({ ...file, path: files?.path ?? '' }, source, files?.roots ?? [], files?.read), { analyses: 0 }, base);
}
