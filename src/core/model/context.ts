/**
 * What the analysis of one document needs everywhere: the text, its imports,
 * module-level constants, and helpers to resolve names and arguments.
 */
import { NONLINEARITIES, calculateGain, type Nonlinearity } from '../init/schemes';
import { qualify, type ImportBinding } from '../python/imports';
import { dottedName, lineBreaks, lineColumn, type SyntaxNode } from '../python/parse';
import { argument, callArgs, type CallArgs } from '../python/syntax';
import { evaluate, type ObjectCalls, type Scope, type Value } from './evaluate';

export class Context {
  private lastOffset = 0;
  private lastLine = 0;

  constructor(
    readonly text: string,
    readonly imports: readonly ImportBinding[],
    readonly moduleScope: Scope,
    /** Objects that calls of the file's functions return (`GPT.get_default_config()`), for config arguments. */
    readonly objects?: ObjectCalls,
  ) {}

  /** The qualified name of a callee or expression (`nn.Linear` → `torch.nn.Linear`). */
  qualified(node: SyntaxNode | null | undefined): string | undefined {
    if (!node) return undefined;
    const name = dottedName(node, this.text);
    return name ? qualify(name, this.imports) : undefined;
  }

  slice(node: { from: number; to: number }): string {
    return this.text.slice(node.from, node.to);
  }

  /**
   * 0-based line of an offset. Lines are counted from the last offset asked
   * (callers go through the document roughly in order), so a keystroke's
   * re-analysis allocates no table of line starts.
   */
  line(offset: number): number {
    let from = this.lastOffset;
    let line = this.lastLine;
    if (offset < from) line -= lineBreaks(this.text, offset, from);
    else line += lineBreaks(this.text, from, offset);
    from = offset;
    this.lastOffset = from;
    this.lastLine = line;
    return line;
  }

  /** Tells the line counter where a known line starts counting (a statement about to be analyzed). */
  seek(offset: number, line: number): void {
    this.lastOffset = offset;
    this.lastLine = line;
  }

  lineColumn(offset: number): { line: number; column: number } {
    return lineColumn(this.text, offset);
  }
}

/** A call's arguments with an evaluator bound to a scope. */
export interface BoundCall {
  readonly node: SyntaxNode;
  readonly callee: SyntaxNode;
  readonly args: CallArgs;
  /** Evaluated argument by keyword or position (undefined when absent or unresolvable). */
  read(name: string, position: number): Value | undefined;
  /** Like `read`, but an argument that is present and unresolvable reads as NaN, not as absent. */
  readStrict(name: string, position: number): Value | undefined;
  /** The argument node by keyword or position. */
  node_(name: string, position: number): SyntaxNode | undefined;
}

export function bindCall(call: SyntaxNode, ctx: Context, scope: Scope): BoundCall | undefined {
  const callee = call.firstChild;
  const list = call.getChild('ArgList');
  if (!callee || !list) return undefined;
  const args = callArgs(list, ctx.text);
  return {
    node: call,
    callee,
    args,
    read: (name, position) => evaluate(argument(args, name, position), ctx.text, scope),
    readStrict(name, position) {
      const node = argument(args, name, position);
      if (!node) return undefined;
      return evaluate(node, ctx.text, scope) ?? gainCall(node, ctx, scope) ?? NaN;
    },
    node_: (name, position) => argument(args, name, position),
  };
}

/** `nn.init.calculate_gain("tanh")` written as an argument. */
function gainCall(node: SyntaxNode, ctx: Context, scope: Scope): number | undefined {
  if (node.name !== 'CallExpression' || ctx.qualified(node.firstChild) !== 'torch.nn.init.calculate_gain') return undefined;
  const inner = bindCall(node, ctx, scope);
  const nonlinearity = inner?.read('nonlinearity', 0);
  const param = inner?.read('param', 1);
  if (typeof nonlinearity !== 'string' || !(NONLINEARITIES as readonly string[]).includes(nonlinearity)) return undefined;
  return calculateGain(nonlinearity as Nonlinearity, typeof param === 'number' ? param : undefined);
}

/** Scope layering: `inner` names shadow `outer` ones. */
export function extend(outer: Scope, inner: Iterable<readonly [string, Value]>): Scope {
  const merged = new Map(outer);
  for (const [k, v] of inner) merged.set(k, v);
  return merged;
}
