/**
 * Explicit initialization of a PyTorch module's layers: `nn.init.*` calls and
 * in-place tensor inits in `__init__` and the methods it calls,
 * `for m in self.modules()` loops and functions given to `.apply`, each
 * write replacing the previous one (PyTorch's order).
 */
import type { SyntaxNode } from '../python/parse';
import { descendants, sequenceElements, unwrap } from '../python/syntax';
import { ALL_LAYERS, lookupLayer } from './catalog';
import { bindCall, type BoundCall, type Context } from './context';
import { tensorMethodScheme, torchInitScheme } from './initCalls';
import { explicitInit, type LayerDraft } from './layer';
import { parameters, walkStatements, type TorchClass } from './members';

/** Explicit initialization found in code, applied to the class's layers. */
export class Inits {
  constructor(
    private readonly cls: TorchClass,
    private readonly methodsByName: Map<string, SyntaxNode>,
    private readonly moduleFunctions: ReadonlyMap<string, SyntaxNode>,
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
      for (const call of ownCalls(stmt)) this.call(call, depth);
    }
  }

  private call(call: SyntaxNode, depth: number): void {
    const callee = call.firstChild;
    if (!callee) return;
    const bound = bindCall(call, this.ctx, this.cls.scope);
    if (!bound) return;
    const text = this.ctx.slice(callee);
    // self.method()
    const method = /^self\.(\w+)$/.exec(text);
    if (method && this.methodsByName.has(method[1]) && method[1] !== '__init__' && method[1] !== 'forward' && bound.args.positional.length === 0) {
      const body = this.methodsByName.get(method[1])?.getChild('Body');
      if (body) this.body(body, depth + 1);
      return;
    }
    // self.apply(fn)
    if (text === 'self.apply' && bound.args.positional[0]) {
      this.applyFunction(bound.args.positional[0]);
      return;
    }
    const scheme = this.schemeOf(call, bound);
    if (!scheme) return;
    const target = this.layerParam(scheme.target);
    if (target) target.layer.explicit.set(target.param, explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)));
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

  /** `for m in self.modules(): if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(m.weight, ...)`. */
  private modulesLoop(stmt: SyntaxNode): void {
    const variable = stmt.getChild('VariableName');
    const iterable = stmt.getChild('in')?.nextSibling;
    const body = stmt.getChild('Body');
    if (!variable || !iterable || !body) return;
    if (!/^self\.(modules|children)\(\)$/.test(this.ctx.slice(iterable).replace(/\s+/g, ''))) return;
    this.rules(body, this.ctx.slice(variable));
  }

  /** `self.apply(self._init_weights)` / `self.apply(init_fn)`. */
  applyFunction(arg: SyntaxNode): void {
    const text = this.ctx.slice(arg);
    const method = /^self\.(\w+)$/.exec(text);
    const fn = method ? this.methodsByName.get(method[1]) : this.moduleFunctions.get(text);
    if (!fn) return;
    const { names } = parameters(fn, this.ctx, this.cls.scope);
    const variable = method ? names[1] : names[0];
    const body = fn.getChild('Body');
    if (variable && body) this.rules(body, variable);
  }

  /** isinstance branches: init calls on `<variable>.weight` apply to every layer of the listed types. */
  private rules(body: SyntaxNode, variable: string): void {
    for (const stmt of walkStatements(body)) {
      if (stmt.name !== 'IfStatement') continue;
      // An if/elif chain: each condition followed by its Body.
      let types: Set<string> | undefined;
      for (let c = stmt.firstChild; c; c = c.nextSibling) {
        if (c.name === 'Body') {
          if (types) this.applyRule(c, variable, types);
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
    const bound = bindCall(call, this.ctx, this.cls.scope);
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

  private applyRule(body: SyntaxNode, variable: string, types: Set<string>): void {
    for (const call of descendants(body, 'CallExpression')) {
      const bound = bindCall(call, this.ctx, this.cls.scope);
      const scheme = bound && this.schemeOf(call, bound);
      if (!scheme) continue;
      // m.weight, or m.weight.data (the DCGAN tutorial's spelling)
      const m = new RegExp(`^${variable}\\.(\\w+)(?:\\.data)?$`).exec(this.ctx.slice(scheme.target).replace(/\s+/g, ''));
      if (!m) continue;
      for (const layer of this.cls.layers) {
        if (types.has(layer.spec.type)) layer.explicit.set(m[1], explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)));
      }
    }
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

