/**
 * Constructions of a document's classes in other files of the workspace
 * (`model = ViT(dim=1024, ...)` in `train.py`, which imports `ViT` from
 * `vit.py`): each call's arguments bound to the class's constructor in the
 * importing file's scope, so the document analysis can take them as root
 * contexts of its module tree ({@link ExternalSite}).
 */
import { collectImports } from '../python/imports';
import { dottedName, type SyntaxNode, type Tree } from '../python/parse';
import { callArgs, descendants, statements } from '../python/syntax';
import { constructionsIn, type ExternalSite } from '../model/analyze';
import { Context } from '../model/context';
import type { ObjectCalls, Scope } from '../model/evaluate';
import { configClasses, functionScope, moduleScope } from '../model/moduleScope';
import { torchModuleClasses } from '../model/torch';
import { classRef, classSignature, signatureOfClass, type ClassSignature } from '../model/tree';
import { LIMITS } from '../limits';
import { InstanceSource, instanceCalls, instanceResolver } from '../model/instances';
import { basename, importsAnything, pythonImports, relativeTo, rootOf, targetImports, type Reexporter, type TargetImports } from './modules';

/** A parsed file of the workspace. */
export interface WorkspaceFile {
  readonly path: string;
  readonly text: string;
  readonly tree: Tree;
}

/**
 * The constructor signatures of a document's PyTorch module classes, by name
 * (a later `class X` rebinds the name, as the document analysis reads it).
 */
export function documentSignatures(tree: Tree, text: string): Map<string, ClassSignature> {
  const ctx = new Context(text, collectImports(tree, text), new Map());
  const classes = statements(tree.topNode).filter((s) => s.name === 'ClassDefinition');
  const torch = torchModuleClasses(classes, ctx);
  const last = new Map<string, SyntaxNode>();
  for (const c of classes) {
    const n = c.getChild('VariableName');
    if (n && torch.has(ctx.slice(n))) last.set(ctx.slice(n), c);
  }
  const out = new Map<string, ClassSignature>();
  for (const [name, cls] of last) out.set(name, signatureOfClass(name, cls, ctx));
  for (const [name, fn] of builders(statements(tree.topNode), ctx, new Set(last.keys()))) if (!out.has(name)) out.set(name, classSignature(name, fn, ctx.slice(fn), ctx, false));
  return out;
}

/** How deep builder functions may call each other (`densenet_cifar` → `DenseNet`; `cct_14` → `_cct` → `CCT`). */
const BUILDER_DEPTH = 3;

/**
 * The module-level functions that build one of `classes`, directly or through
 * another such function, at most {@link BUILDER_DEPTH} calls away
 * (`def densenet_cifar(): return DenseNet(Bottleneck, [6, 12, 24, 16], growth_rate=12)`):
 * another file's `net = densenet_cifar()` builds the class in the context of the function's body.
 */
function builders(top: readonly SyntaxNode[], ctx: Context, classes: ReadonlySet<string>): Map<string, SyntaxNode> {
  const functions = new Map<string, SyntaxNode>();
  for (const s of top) {
    const name = s.name === 'FunctionDefinition' ? s.getChild('VariableName') : null;
    if (name && !classes.has(ctx.slice(name))) functions.set(ctx.slice(name), s);
  }
  const out = new Map<string, SyntaxNode>();
  const calls = new Map([...functions].map(([name, fn]) => [name, new Set([...descendants(fn, 'CallExpression')].flatMap((c) => (c.firstChild?.name === 'VariableName' ? [ctx.slice(c.firstChild)] : [])))]));
  for (let round = 0; round < BUILDER_DEPTH; round++) {
    let grew = false;
    for (const [name, fn] of functions) {
      if (out.has(name)) continue;
      const called = calls.get(name) as Set<string>;
      if ([...called].some((n) => n !== name && (classes.has(n) || out.has(n)))) {
        out.set(name, fn);
        grew = true;
      }
    }
    if (!grew) break;
  }
  return out;
}

/** A stable text of signatures, for cache keys: sites bound with other parameters are other sites. */
export function signaturesKey(signatures: ReadonlyMap<string, ClassSignature>): string {
  return JSON.stringify([...signatures.values()].map((s) => [s.name, s.params, [...s.defaults], [...s.reads].map(([k, v]) => [k, [...v]]), s.star ?? null, s.starStar ?? null, [...(s.objects ?? [])]]));
}

/**
 * The constructions in `other` of the classes it imports from `targetPath`
 * (directly, or through a package of `via` that re-exports them), in source order, at most {@link LIMITS.classContexts} of them. Arguments are
 * evaluated in `other`'s scope: module constants and argparse defaults, and in
 * a function its parameters' defaults and its own constants and argparse
 * defaults. A class argument names a class of the target or a torch layer;
 * anything else is unknown, never guessed. An instance of a module class given
 * as an argument (`v = ViT(...)`, then `MAE(encoder=v)`) carries what its
 * constructor sets (model/instances.ts), where its class is `other`'s own or in
 * a file `other` imports that `read` gives (modules.ts `importCandidates`: the
 * caller reads them, at most {@link LIMITS.importers}, each up to {@link LIMITS.workspaceFileBytes}).
 * The sites then depend on those files too: a cache of them must be keyed by their versions.
 */
export function externalSites(
  targetPath: string,
  targetSignatures: ReadonlyMap<string, ClassSignature>,
  other: WorkspaceFile,
  roots: readonly string[] = [],
  via: readonly Reexporter[] = [],
  read?: (path: string) => string | undefined,
): ExternalSite[] {
  // A file with NUL bytes is not Python source (the document analysis skips such files too).
  if (targetSignatures.size === 0 || other.path === targetPath || other.text.includes('\u0000')) return [];
  const found = targetImports(other.path, pythonImports(other.tree, other.text), targetPath, new Set(targetSignatures.keys()), roots, via);
  if (!importsAnything(found)) return [];
  const { text, tree } = other;
  const imports = collectImports(tree, text);
  const top = statements(tree.topNode);
  // `config = GPT.get_default_config()`: the object a static method of the target's class builds.
  const objects = (call: SyntaxNode) => {
    const callee = call.firstChild;
    const list = call.getChild('ArgList');
    if (callee?.name !== 'MemberExpression' || !list || callArgs(list, text).positional.length > 0 || callArgs(list, text).keywords.size > 0 || !callee.firstChild) return undefined;
    const owner = classOf(callee.firstChild, text, found, targetSignatures);
    const method = callee.lastChild;
    return owner !== undefined && method ? targetSignatures.get(owner)?.objects?.get(text.slice(method.from, method.to)) : undefined;
  };
  const source = new InstanceSource(other);
  const calls = instanceCalls(source, instanceResolver(other, source, roots, read), { analyses: 0 }, objects);
  const scope = moduleScope(top, text, calls);
  const ctx = new Context(text, imports, scope, calls);
  const own = torchModuleClasses(top.filter((s) => s.name === 'ClassDefinition'), ctx);
  const configs = new Map(configClasses(top, text, scope, own).map((c) => [c.name, c]));
  const targetClass = (node: SyntaxNode) => classOf(node, text, found, targetSignatures);
  const refOf = (node: SyntaxNode) => classRef(node, ctx, targetClass);
  const where = label(other.path, roots);
  const sites: ExternalSite[] = [];
  try {
    for (const stmt of top) {
      if (stmt.name === 'ImportStatement') continue;
      for (const [block, blockScope] of scopes(stmt, ctx, calls)) {
        const classOf = (callee: SyntaxNode) => {
          const name = targetClass(callee);
          return name !== undefined ? targetSignatures.get(name) : undefined;
        };
        for (const c of constructionsIn(block, ctx, blockScope, classOf, configs, refOf, LIMITS.classContexts.value - sites.length)) {
          sites.push({
            className: c.className,
            binding: c.binding,
            label: `${where}:${ctx.line(c.call.from) + 1} ${shortCall(ctx.slice(c.call))}`,
            ...(c.applies.length > 0 ? { applies: c.applies } : {}),
          });
        }
        if (sites.length >= LIMITS.classContexts.value) return sites;
      }
    }
  } catch (error) {
    // A construct the evaluation mishandles in another file must not take the document's analysis down.
    if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
  }
  return sites;
}

/** The class of the target a callee or argument names through the imports (`ViT`, `V`, `L.Attention`). */
function classOf(node: SyntaxNode, text: string, found: TargetImports, signatures: ReadonlyMap<string, ClassSignature>): string | undefined {
  const name = dottedName(node, text);
  if (!name) return undefined;
  if (name.length === 1) return found.classes.get(name[0]);
  const prefix = name.slice(0, -1).join('.');
  const last = name[name.length - 1];
  return found.modules.has(prefix) && signatures.has(last) ? last : undefined;
}

/**
 * The parts of a top-level statement and the scope each is evaluated in:
 * functions (also decorated ones, and the methods of a class) with their
 * parameters, the rest of the statement with the module's scope.
 */
function scopes(stmt: SyntaxNode, ctx: Context, calls: ObjectCalls): [SyntaxNode, Scope][] {
  const fn = stmt.name === 'DecoratedStatement' ? (stmt.getChild('FunctionDefinition') ?? stmt.getChild('ClassDefinition')) : stmt;
  if (fn?.name === 'FunctionDefinition') return [[fn, functionScope(fn, ctx, calls)]];
  if (fn?.name === 'ClassDefinition') {
    const body = fn.getChild('Body');
    const out: [SyntaxNode, Scope][] = [];
    for (const s of body ? statements(body) : []) {
      const method = s.name === 'DecoratedStatement' ? s.getChild('FunctionDefinition') : s;
      if (method?.name === 'FunctionDefinition') out.push([method, functionScope(method, ctx, calls)]);
    }
    return out;
  }
  return [[stmt, ctx.moduleScope]];
}

/** `train.py` or `scripts/train.py`: the importer relative to its workspace root. */
function label(path: string, roots: readonly string[]): string {
  const root = rootOf(path, roots);
  return (root !== undefined ? relativeTo(path, root) : undefined) ?? basename(path);
}

const CALL_CHARS = 60;

/** `ViT(dim=1024, depth=6, …)`: the call on one line, cut after an argument when longer than {@link CALL_CHARS}. */
export function shortCall(call: string): string {
  const flat = call.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/,? \)$/, ')');
  if (flat.length <= CALL_CHARS) return flat;
  const cut = flat.lastIndexOf(', ', CALL_CHARS - 3);
  const open = flat.indexOf('(');
  return cut > open ? `${flat.slice(0, cut)}, …)` : `${flat.slice(0, CALL_CHARS - 2)}…)`;
}

