/**
 * What the names of a module refer to, as far as its import statements say.
 * `import numpy as np` binds `np` to `numpy`; `from torch import nn` binds `nn`
 * to `torch.nn`; `import torch.nn` binds `torch` to `torch` (Python binds the
 * top-level package). Relative imports bind names to nothing we can know.
 */
import type { SyntaxNode, Tree } from './parse';

/** One name an import statement binds. */
export interface ImportBinding {
  /** The local name, as used in the module (`np`). */
  readonly local: string;
  /** The fully qualified target (`numpy`, `torch.nn.functional`). */
  readonly target: string;
  /** Start and end offsets of the whole import statement. */
  readonly from: number;
  readonly to: number;
}

/** Every import in `tree`, anywhere (module level, functions, `try` blocks), in order. */
export function collectImports(tree: Tree, text: string): ImportBinding[] {
  // A statement binds names only with its `import` keyword: subtrees whose text holds no "import" are skipped.
  return importStatements(tree, text).flatMap((statement) => importBindings(statement, text));
}

/**
 * The import statements of `tree`, anywhere statements can be, in order. With
 * `text`, only those whose text holds "import" (a `from x` still being typed
 * binds nothing), and no subtree without that word is entered: a keystroke
 * walks the top-level statements, not every class body.
 */
export function importStatements(tree: Tree, text?: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const at: number[] = [];
  if (text !== undefined) for (let i = text.indexOf('import'); i >= 0; i = text.indexOf('import', i + 1)) at.push(i);
  if (text !== undefined && at.length === 0) return found;
  // Whether some "import" lies within [from, to) (binary search over the sorted positions).
  const holds = (from: number, to: number) => {
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < at.length && at[lo] + 'import'.length <= to;
  };
  tree.iterate({
    enter(ref) {
      if (text !== undefined && !holds(ref.from, ref.to)) return false;
      if (ref.name === 'ImportStatement') {
        found.push(ref.node);
        return false;
      }
      // Imports are statements: only descend where statements can be (this skips
      // every expression subtree, most of a file's nodes).
      return STATEMENT_CONTAINERS.has(ref.name) || ref.type.isError;
    },
  });
  return found;
}

/** Nodes that can contain statements, directly or through a Body. */
const STATEMENT_CONTAINERS = new Set([
  'Script',
  'Body',
  'ClassDefinition',
  'FunctionDefinition',
  'DecoratedStatement',
  'IfStatement',
  'ForStatement',
  'WhileStatement',
  'WithStatement',
  'TryStatement',
  'MatchStatement',
  'MatchBody',
  'MatchClause',
]);

function importBindings(statement: SyntaxNode, text: string): ImportBinding[] {
  const tokens: { name: string; value: string }[] = [];
  for (let child = statement.firstChild; child; child = child.nextSibling) {
    tokens.push({ name: child.name, value: text.slice(child.from, child.to) });
  }
  const span = { from: statement.from, to: statement.to };
  const bindings: ImportBinding[] = [];
  if (tokens[0]?.name === 'from') {
    // from MODULE import a [as b], ...   (MODULE may start with dots: relative)
    const importAt = tokens.findIndex((t) => t.name === 'import');
    const moduleTokens = tokens.slice(1, importAt);
    if (importAt < 0 || moduleTokens[0]?.name !== 'VariableName') return [];
    const module = moduleTokens.map((t) => t.value).join('');
    for (const [name, alias] of splitNames(tokens.slice(importAt + 1))) {
      if (name.length !== 1 || name[0] === '*') continue;
      bindings.push({ local: alias ?? name[0], target: `${module}.${name[0]}`, ...span });
    }
    return bindings;
  }
  // import a.b.c [as d], ...
  for (const [name, alias] of splitNames(tokens.slice(1))) {
    if (alias) bindings.push({ local: alias, target: name.join('.'), ...span });
    else bindings.push({ local: name[0], target: name[0], ...span });
  }
  return bindings;
}

/** Splits `a.b as c, d` (tokens) into `[['a','b'],'c'], [['d'],undefined]`. */
function splitNames(tokens: { name: string; value: string }[]): [string[], string | undefined][] {
  const result: [string[], string | undefined][] = [];
  let name: string[] = [];
  let alias: string | undefined;
  let expectAlias = false;
  const flush = () => {
    if (name.length > 0) result.push([name, alias]);
    name = [];
    alias = undefined;
    expectAlias = false;
  };
  for (const token of tokens) {
    if (token.name === ',') flush();
    else if (token.name === 'as') expectAlias = true;
    else if (token.name === 'VariableName') {
      if (expectAlias) alias = token.value;
      else name.push(token.value);
    } else if (token.name === '*') name.push('*');
  }
  flush();
  return result;
}

/**
 * The qualified name a dotted reference resolves to through `imports`
 * (`['np','random','seed']` → `numpy.random.seed`), or undefined when its head is
 * not an imported name. Later imports of the same local name win, as in Python
 * for straight-line module code.
 */
export function qualify(name: readonly string[], imports: readonly ImportBinding[]): string | undefined {
  let binding: ImportBinding | undefined;
  for (const b of imports) if (b.local === name[0]) binding = b;
  if (!binding) return undefined;
  return [binding.target, ...name.slice(1)].join('.');
}
