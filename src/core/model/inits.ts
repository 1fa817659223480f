/**
 * Explicit initialization of a PyTorch module's layers: `nn.init.*` calls and
 * in-place tensor inits in `__init__` and the methods it calls,
 * `for m in self.modules()` loops and functions given to `.apply`, each
 * write replacing the previous one (PyTorch's order).
 */
import type { SyntaxNode } from '../python/parse';
import { descendants, sequenceElements, statements, unwrap } from '../python/syntax';
import { ALL_LAYERS, lookupLayer } from './catalog';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { tensorMethodScheme, torchInitScheme } from './initCalls';
import { applyWrites, evaluate, objectWrites, type Scope } from './evaluate';
import { explicitInit, writeInit, type LayerDraft } from './layer';
import { parameters, walkStatements, withoutNames, type TorchClass } from './members';
import type { CurrentInit } from './types';

/** A test on a parameter's full name in a `named_parameters()` loop (`pn.endswith("c_proj.weight")`). */
export interface NameTest {
  readonly op: 'endswith' | 'startswith' | 'contains' | 'equals';
  readonly value: string;
}

/**
 * An init written for many parameters at once: a branch of an `apply`
 * function or a `modules()` / `named_parameters()` / `parameters()` loop.
 * Plain data, so that a parent module's rules reach the layers of the classes
 * it builds (PyTorch runs the parent's loop after the child is constructed).
 */
export interface InitRule {
  /** Layer types selected (isinstance or a class-name test); absent: every layer. */
  readonly types?: readonly string[];
  /** The parameter written (`weight` for `m.weight`); absent: every parameter the other tests select. */
  readonly param?: string;
  readonly name?: NameTest;
  /** Only parameters of more than this many dimensions (`if p.dim() > 1:`). */
  readonly rankAbove?: number;
  /** Only the modules inside this submodule (`self.fc.apply(fn)`: `fc`), named from the rule's class. */
  readonly within?: string;
  readonly init: CurrentInit;
}

/** Applies rules, in order, to layers whose names are relative to `prefix` (`transformer.h.0`, '' for the rule's own class). */
export function applyRules(rules: readonly InitRule[], layers: readonly LayerDraft[], prefix = ''): void {
  for (const rule of rules) {
    for (const layer of layers) {
      // Rules run over modules() / named_parameters(): a module in a plain list is not among them.
      if (layer.unregistered) continue;
      if (rule.within !== undefined && !inside(rule.within, prefix === '' ? layer.name : `${prefix}.${layer.name}`)) continue;
      if (rule.types && !rule.types.includes(layer.spec.type)) {
        innerRule(rule, layer, prefix);
        continue;
      }
      if (rule.param !== undefined && rule.name === undefined && rule.rankAbove === undefined) {
        writeInit(layer, rule.param, rule.init);
        continue;
      }
      for (const p of layer.spec.params(layer.args)) {
        if (rule.param !== undefined && p.name !== rule.param) continue;
        if (rule.rankAbove !== undefined && !(p.shape.length > rule.rankAbove)) continue;
        if (rule.name && !nameMatches(rule.name, [prefix, layer.name, p.name].filter((s) => s !== '').join('.'))) continue;
        writeInit(layer, p.name, rule.init);
      }
    }
  }
}

/**
 * A type-tested rule on the modules inside a block (`isinstance(m, nn.Linear)`
 * on timm's `Mlp`): PyTorch's `apply` visits `fc1` and `fc2` themselves, and
 * `m.weight` there is `fc1.weight`.
 */
function innerRule(rule: InitRule, layer: LayerDraft, prefix: string): void {
  for (const p of layer.spec.params(layer.args)) {
    if (!p.module || !rule.types?.includes(p.module)) continue;
    if (rule.param !== undefined && p.name.slice(p.name.lastIndexOf('.') + 1) !== rule.param) continue;
    if (rule.rankAbove !== undefined && !(p.shape.length > rule.rankAbove)) continue;
    if (rule.name && !nameMatches(rule.name, [prefix, layer.name, p.name].filter((s) => s !== '').join('.'))) continue;
    writeInit(layer, p.name, rule.init);
  }
}

/** Whether the module `name` is `within` or inside it (`fc.0` inside `fc`; not `fc2`). */
function inside(within: string, name: string): boolean {
  return name === within || name.startsWith(`${within}.`);
}

function nameMatches(test: NameTest, name: string): boolean {
  switch (test.op) {
    case 'endswith':
      return name.endsWith(test.value);
    case 'startswith':
      return name.startsWith(test.value);
    case 'contains':
      return name.includes(test.value);
    case 'equals':
      return name === test.value;
  }
}

/** The init rules of a module-level function given to `model.apply(fn)`, for the module tree's root contexts. */
export function applyRulesOf(fn: SyntaxNode, cls: TorchClass): InitRule[] {
  const inits = new Inits(cls, new Map(), new Map());
  inits.functionRules(fn, false);
  return inits.rules;
}

/** Explicit initialization found in code, applied to the class's layers. */
export class Inits {
  /** The class's init rules, in the order they run (they reach the classes it builds too). */
  readonly rules: InitRule[] = [];

  constructor(
    private readonly cls: TorchClass,
    private readonly methodsByName: Map<string, SyntaxNode>,
    private readonly moduleFunctions: ReadonlyMap<string, SyntaxNode>,
    /** The scope at the end of `__init__` (its arguments, constants and locals). */
    private scope: Scope = cls.scope,
    /** A transformers `PreTrainedModel`: `self.post_init()` / `self.init_weights()` run `self.apply(self._init_weights)`. */
    private readonly hfModel = false,
  ) {}

  private get ctx(): Context {
    return this.cls.ctx;
  }

  /** Processes a function body in order: direct init calls, called methods, modules() loops, apply(fn). */
  body(body: SyntaxNode, depth = 0): void {
    if (depth > 4) return;
    for (const stmt of walkStatements(body)) {
      if (stmt.name === 'ForStatement') {
        this.modulesLoop(stmt);
        continue;
      }
      // A local the init calls read (`initrange = 0.1` in pytorch/examples' init_weights): its value, or unknown from here on.
      // Objects it writes (`config.merge_from_dict(...)`), for the init calls after it.
      this.scope = applyWrites(this.scope, objectWrites(stmt, this.ctx.text, this.scope, this.ctx.objects));
      const target = stmt.name === 'AssignStatement' ? stmt.firstChild : null;
      if (target?.name === 'VariableName' && target.nextSibling?.name === 'AssignOp' && stmt.lastChild) {
        const v = evaluate(stmt.lastChild, this.ctx.text, this.scope);
        const name = this.ctx.slice(target);
        this.scope = v !== undefined ? extend(this.scope, [[name, v]]) : withoutNames(this.scope, [name]);
      }
      for (const call of ownCalls(stmt)) this.call(call, depth);
    }
  }

  private call(call: SyntaxNode, depth: number): void {
    const callee = call.firstChild;
    if (!callee) return;
    // Only a method of self, an `nn.init.*` function or an in-place tensor method (`normal_`) can init
    // anything: the layer constructions of `__init__` are passed over before their arguments are bound.
    const last = callee.name === 'MemberExpression' ? callee.lastChild : null;
    if (!this.ctx.slice(callee).startsWith('self.') && !(last && this.ctx.slice(last).endsWith('_')) && !this.ctx.qualified(callee)?.startsWith('torch.nn.init.')) return;
    const bound = bindCall(call, this.ctx, this.scope);
    if (!bound) return;
    const text = this.ctx.slice(callee);
    // self.method()
    const method = /^self\.(\w+)$/.exec(text);
    if (method && this.methodsByName.has(method[1]) && method[1] !== '__init__' && method[1] !== 'forward' && bound.args.positional.length === 0) {
      const body = this.methodsByName.get(method[1])?.getChild('Body');
      // The method's locals are its own.
      const caller = this.scope;
      if (body) this.body(body, depth + 1);
      this.scope = caller;
      return;
    }
    // transformers' post_init(): `self.apply(self._init_weights)` when the file writes `_init_weights`.
    if (method && this.hfModel && (method[1] === 'post_init' || method[1] === 'init_weights') && !this.methodsByName.has(method[1]) && bound.args.positional.length === 0) {
      const fn = this.methodsByName.get('_init_weights');
      if (fn) this.functionRules(fn, true);
      return;
    }
    // self.apply(fn); self.fc.apply(fn) on the modules of `fc` only.
    const applied = /^(self(?:\.\w+|\[\d+\])*)\.apply$/.exec(text.replace(/\s+/g, ''));
    if (applied && bound.args.positional[0]) {
      const within = applied[1] === 'self' ? undefined : this.ownerPath(bound.callee.firstChild as SyntaxNode);
      if (applied[1] === 'self' || within !== undefined) this.applyFunction(bound.args.positional[0], within);
      return;
    }
    const scheme = this.schemeOf(call, bound);
    if (!scheme) return;
    const target = this.layerParam(scheme.target);
    if (target) writeInit(target.layer, target.param, explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)));
  }

  /** The scheme of an `nn.init.*` call or an in-place tensor method, with the tensor expression. */
  schemeOf(call: SyntaxNode, bound: BoundCall): { target: SyntaxNode; scheme: ReturnType<typeof torchInitScheme> } | undefined {
    const qualified = this.ctx.qualified(bound.callee);
    if (qualified?.startsWith('torch.nn.init.')) {
      const scheme = torchInitScheme(qualified.slice('torch.nn.init.'.length), bound.readStrict);
      const target = bound.args.positional[0] ?? bound.args.keywords.get('tensor');
      return scheme !== undefined && target ? { target, scheme } : undefined;
    }
    if (bound.callee.name === 'MemberExpression') {
      const method = bound.callee.lastChild;
      const object = bound.callee.firstChild;
      if (!method || !object || method.name !== 'PropertyName') return undefined;
      const scheme = tensorMethodScheme(this.ctx.slice(method), bound.readStrict);
      if (scheme === undefined) return undefined;
      // w.data.normal_(...) acts on w.
      const target = object.name === 'MemberExpression' && this.ctx.slice(object.lastChild as SyntaxNode) === 'data' ? (object.firstChild as SyntaxNode) : object;
      return { target, scheme };
    }
    void call;
    return undefined;
  }

  /** `self.fc1.weight` → (fc1, weight); `self.layers[0].bias` → (layers.0, bias). */
  private layerParam(node: SyntaxNode): { layer: LayerDraft; param: string } | undefined {
    if (node.name !== 'MemberExpression') return undefined;
    const prop = node.lastChild;
    const object = node.firstChild;
    if (!prop || !object || prop.name !== 'PropertyName') return undefined;
    const param = this.ctx.slice(prop);
    const owner = this.ownerPath(object);
    const layer = owner && this.cls.layers.find((l) => l.name === owner);
    return layer ? { layer, param } : undefined;
  }

  private ownerPath(node: SyntaxNode): string | undefined {
    const text = this.ctx.slice(node).replace(/\s+/g, '');
    const m = /^self\.([\w.]+(?:\[(?:\d+|'[^']*'|"[^"]*")\])*(?:\.[\w.]+)*)$/.exec(text);
    if (!m) return undefined;
    return m[1].replace(/\[(\d+)\]/g, '.$1').replace(/\[['"]([^'"]*)['"]\]/g, '.$1');
  }

  /**
   * `for m in self.modules():` (also `children()`, `named_modules()`), `for pn, p in
   * self.named_parameters():` and `for p in self.parameters():` loops.
   */
  private modulesLoop(stmt: SyntaxNode): void {
    const names: string[] = [];
    for (let c = stmt.firstChild; c && c.name !== 'in'; c = c.nextSibling) if (c.name === 'VariableName') names.push(this.ctx.slice(c));
    const iterable = stmt.getChild('in')?.nextSibling;
    const body = stmt.getChild('Body');
    if (names.length === 0 || !iterable || !body) return;
    const m = /^self\.(modules|children|named_modules|named_children|named_parameters|parameters)\(\)$/.exec(this.ctx.slice(iterable).replace(/\s+/g, ''));
    if (!m) return;
    const variable = names[names.length - 1];
    if (m[1] === 'named_parameters' || m[1] === 'parameters') this.parameterRules(body, variable, m[1] === 'named_parameters' && names.length === 2 ? names[0] : undefined);
    else this.moduleRules(body, variable);
  }

  /** `self.apply(self._init_weights)` / `self.apply(init_fn)`. */
  applyFunction(arg: SyntaxNode, within?: string): void {
    const text = this.ctx.slice(arg);
    const method = /^self\.(\w+)$/.exec(text);
    const fn = method ? this.methodsByName.get(method[1]) : this.moduleFunctions.get(text);
    if (fn) this.functionRules(fn, !!method, within);
  }

  /** The rules of a function given to `apply` (its module parameter is the first after `self` for a method). */
  functionRules(fn: SyntaxNode, method: boolean, within?: string): void {
    const { names } = parameters(fn, this.ctx, this.scope);
    // `self.apply(self.init_weight)` with a @staticmethod (lucidrains' CCT): no `self` comes first.
    const decorated = fn.parent?.name === 'DecoratedStatement' ? this.ctx.text.slice(fn.parent.from, fn.from) : '';
    const variable = method && !/@staticmethod\b/.test(decorated) ? names[1] : names[0];
    const body = fn.getChild('Body');
    if (variable && body) this.moduleRules(body, variable, within);
  }

  private add(rule: InitRule): void {
    this.rules.push(rule);
    applyRules([rule], this.cls.layers);
  }

  /** isinstance branches: init calls on `<variable>.weight` apply to every layer of the listed types. */
  private moduleRules(body: SyntaxNode, variable: string, within?: string): void {
    for (const stmt of walkStatements(body)) {
      if (stmt.name !== 'IfStatement') continue;
      // An if/elif chain: each condition followed by its Body.
      let types: Set<string> | undefined;
      for (let c = stmt.firstChild; c; c = c.nextSibling) {
        if (c.name === 'Body') {
          if (types) this.moduleBranch(c, variable, types, within);
          types = undefined;
        } else if (c.name === 'CallExpression' && this.ctx.slice(c.firstChild as SyntaxNode) === 'isinstance') {
          types = this.isinstanceTypes(c, variable);
        } else if (c.name === 'BinaryExpression') {
          types = classNameTypes(this.ctx.slice(c));
        }
      }
    }
  }

  private isinstanceTypes(call: SyntaxNode, variable: string): Set<string> | undefined {
    const bound = bindCall(call, this.ctx, this.scope);
    const [subject, classes] = bound?.args.positional ?? [];
    if (!subject || !classes || this.ctx.slice(subject) !== variable) return undefined;
    const nodes = sequenceElements(unwrap(classes)) ?? [classes];
    const types = new Set<string>();
    for (const n of nodes) {
      const spec = lookupLayer(this.ctx.qualified(n) ?? '');
      if (spec) types.add(spec.type);
    }
    return types.size > 0 ? types : undefined;
  }

  private moduleBranch(body: SyntaxNode, variable: string, types: Set<string>, within?: string): void {
    for (const call of descendants(body, 'CallExpression')) {
      const bound = bindCall(call, this.ctx, this.scope);
      const scheme = bound && this.schemeOf(call, bound);
      if (!scheme) continue;
      // m.weight, or m.weight.data (the DCGAN tutorial's spelling)
      const m = new RegExp(`^${variable}\\.(\\w+)(?:\\.data)?$`).exec(this.ctx.slice(scheme.target).replace(/\s+/g, ''));
      if (!m) continue;
      this.add({ types: [...types], param: m[1], ...(within !== undefined ? { within } : {}), init: explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)) });
    }
  }

  /**
   * Init calls on the loop's parameter, under the tests that select it: `if
   * pn.endswith('c_proj.weight'):` (nanoGPT), `if p.dim() > 1:` (the PyTorch
   * transformer tutorial), or none. A branch under any other test is skipped.
   */
  private parameterRules(body: SyntaxNode, variable: string, nameVariable: string | undefined): void {
    const visit = (block: SyntaxNode, tests: Pick<InitRule, 'name' | 'rankAbove'>) => {
      for (const stmt of statements(block)) {
        if (stmt.name === 'IfStatement') {
          let test: Pick<InitRule, 'name' | 'rankAbove'> | undefined;
          for (let c = stmt.firstChild; c; c = c.nextSibling) {
            if (c.name === 'Body') {
              if (test) visit(c, { ...tests, ...test });
              test = undefined;
            } else if (c.name !== 'if' && c.name !== 'elif' && c.name !== 'else' && c.name !== ':') {
              test = this.parameterTest(c, variable, nameVariable);
            }
          }
          continue;
        }
        for (const call of ownCalls(stmt)) {
          const bound = bindCall(call, this.ctx, this.scope);
          const scheme = bound && this.schemeOf(call, bound);
          const target = scheme ? this.ctx.slice(scheme.target).replace(/\s+/g, '') : '';
          if (!scheme || (target !== variable && target !== `${variable}.data`)) continue;
          this.add({ ...tests, init: explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)) });
        }
      }
    };
    visit(body, {});
  }

  private parameterTest(node: SyntaxNode, variable: string, nameVariable: string | undefined): Pick<InitRule, 'name' | 'rankAbove'> | undefined {
    const text = this.ctx.slice(node).replace(/\s+/g, ' ').trim();
    const rank = new RegExp(`^${variable}\\.(?:dim\\(\\)|ndim) ?(>|>=) ?(\\d+)$`).exec(text);
    if (rank) return { rankAbove: Number(rank[2]) - (rank[1] === '>=' ? 1 : 0) };
    if (!nameVariable) return undefined;
    const call = new RegExp(`^${nameVariable}\\.(endswith|startswith)\\((['"])([^'"]*)\\2\\)$`).exec(text);
    if (call) return { name: { op: call[1] as 'endswith' | 'startswith', value: call[3] } };
    const contains = new RegExp(`^(['"])([^'"]*)\\1 in ${nameVariable}$`).exec(text);
    if (contains) return { name: { op: 'contains', value: contains[2] } };
    const equals = new RegExp(`^${nameVariable} ?== ?(['"])([^'"]*)\\1$`).exec(text);
    if (equals) return { name: { op: 'equals', value: equals[2] } };
    return undefined;
  }
}


/** Calls of a statement outside its nested blocks (walkStatements visits those), each once. */
function* ownCalls(stmt: SyntaxNode): Generator<SyntaxNode> {
  for (let c = stmt.firstChild; c; c = c.nextSibling) {
    if (c.name === 'Body') continue;
    if (c.name === 'CallExpression') yield c;
    yield* descendants(c, 'CallExpression');
  }
}

/**
 * Layer types selected by a class-name test, as in PyTorch's DCGAN example:
 * `classname.find('Conv') != -1` or `'Conv' in classname` (with
 * `classname = m.__class__.__name__`) selects every layer type containing "Conv".
 */
function classNameTypes(condition: string): Set<string> | undefined {
  const m = /^\w+\.find\(\s*(['"])(\w+)\1\s*\)\s*(?:!=\s*-1|>=\s*0|>\s*-1)$/.exec(condition) ?? /^(['"])(\w+)\1\s+in\s+\w+$/.exec(condition);
  if (!m) return undefined;
  const types = new Set(ALL_LAYERS.filter((spec) => spec.framework === 'torch' && spec.type.includes(m[2])).map((spec) => spec.type));
  return types.size > 0 ? types : undefined;
}

