/**
 * Seeding analysis of one Python document: which frameworks it imports, every
 * reference to a known random/seed API (through the file's own import aliases),
 * and, for each global RNG in play, the calls that seed it.
 */
import { collectImports, qualify, type ImportBinding } from '../python/imports';
import { dottedName, lineColumn, type SyntaxNode, type Tree } from '../python/parse';
import { FRAMEWORKS, KNOWN_APIS, RNG_LABELS, frameworkOfModule, lookupRandomApi, type Framework, type RandomApi, type RngId } from './knowledge';

/** A place in the document that uses a known random/seed API. */
export interface ApiReference {
  readonly api: RandomApi;
  /** The qualified name it resolved to (`numpy.random.seed` for `np.random.seed`). */
  readonly qualifiedName: string;
  /** The callee or assignment target as written. */
  readonly from: number;
  readonly to: number;
  /** The whole call or assignment statement. */
  readonly statementFrom: number;
  readonly statementTo: number;
  /** 0-based line of `from`. */
  readonly line: number;
  /** Source text of the first argument (calls) or the assigned value (assignments). */
  readonly argument?: string;
}

/** A framework the document imports, with where it first does. */
export interface FrameworkUse {
  readonly framework: Framework;
  readonly line: number;
}

/** One global RNG the imports bring into play, and what seeds it. */
export interface RngCoverage {
  readonly rng: RngId;
  readonly label: string;
  readonly seededBy: readonly ApiReference[];
}

export interface SeedingAnalysis {
  readonly imports: readonly ImportBinding[];
  readonly frameworks: readonly FrameworkUse[];
  readonly references: readonly ApiReference[];
  readonly coverage: readonly RngCoverage[];
}

/** The last segment of every known API name (`seed`, `manual_seed`, `PYTHONHASHSEED`, ...). */
const API_WORDS = new RegExp(`\\b(?:${[...new Set(KNOWN_APIS.flatMap((a) => a.names.map((n) => n.slice(n.lastIndexOf('.') + 1))))].join('|')})\\b`);

/** Analyzes `tree` (the parse of `text`). */
export function analyzeSeeding(tree: Tree, text: string): SeedingAnalysis {
  const imports = collectImports(tree, text);
  const frameworks: FrameworkUse[] = [];
  for (const binding of imports) {
    const framework = frameworkOfModule(binding.target);
    if (framework && !frameworks.some((f) => f.framework === framework)) {
      frameworks.push({ framework, line: lineColumn(text, binding.from).line });
    }
  }
  frameworks.sort((a, b) => FRAMEWORKS.indexOf(a.framework) - FRAMEWORKS.indexOf(b.framework));

  const references: ApiReference[] = [];
  // Only statements whose text mentions a known API name can reference one: a
  // native regex test per top-level statement spares walking the others.
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    if (!API_WORDS.test(text.slice(stmt.from, stmt.to))) continue;
    const cursor = stmt.cursor();
    const end = stmt.to;
    do {
      if (cursor.from >= end) break;
      if (cursor.name === 'CallExpression') {
        const reference = callReference(cursor.node, text, imports);
        if (reference) references.push(reference);
      } else if (cursor.name === 'AssignStatement') {
        const reference = assignReference(cursor.node, text, imports);
        if (reference) references.push(reference);
      }
    } while (cursor.next());
  }

  const rngs = [...new Set(frameworks.flatMap((f) => f.framework.rngs))];
  const coverage = rngs.map((rng) => ({
    rng,
    label: RNG_LABELS[rng],
    seededBy: references.filter((r) => r.api.seeds.includes(rng)),
  }));
  return { imports, frameworks, references, coverage };
}

function callReference(call: SyntaxNode, text: string, imports: readonly ImportBinding[]): ApiReference | undefined {
  const callee = call.firstChild;
  const args = call.getChild('ArgList');
  if (!callee || !args) return undefined;
  const name = dottedName(callee, text);
  const qualifiedName = name && qualify(name, imports);
  const api = qualifiedName ? lookupRandomApi(qualifiedName) : undefined;
  if (!api || api.usage !== 'call' || !qualifiedName) return undefined;
  const first = args.firstChild?.nextSibling;
  const argument = first && first.name !== ')' ? text.slice(first.from, first.to) : undefined;
  return reference(api, qualifiedName, callee, call, text, argument);
}

function assignReference(statement: SyntaxNode, text: string, imports: readonly ImportBinding[]): ApiReference | undefined {
  const target = statement.firstChild;
  const op = target?.nextSibling;
  const value = op?.nextSibling;
  if (!target || !op || op.name !== 'AssignOp' || !value) return undefined;
  const qualifiedName = assignedName(target, text, imports);
  const api = qualifiedName ? lookupRandomApi(qualifiedName) : undefined;
  if (!api || api.usage !== 'assign' || !qualifiedName) return undefined;
  return reference(api, qualifiedName, target, statement, text, text.slice(value.from, value.to));
}

/**
 * The qualified name of an assignment target: a plain attribute chain
 * (`torch.backends.cudnn.benchmark`), or a string subscript of one
 * (`os.environ["PYTHONHASHSEED"]` → `os.environ.PYTHONHASHSEED`).
 */
function assignedName(target: SyntaxNode, text: string, imports: readonly ImportBinding[]): string | undefined {
  const plain = dottedName(target, text);
  if (plain) return qualify(plain, imports);
  if (target.name !== 'MemberExpression') return undefined;
  const object = target.firstChild;
  const key = target.getChild('String');
  if (!object || !key || target.getChild('PropertyName')) return undefined;
  const base = dottedName(object, text);
  const literal = /^(['"])([A-Za-z_][A-Za-z0-9_]*)\1$/.exec(text.slice(key.from, key.to));
  const qualified = base && qualify(base, imports);
  return qualified && literal ? `${qualified}.${literal[2]}` : undefined;
}

function reference(
  api: RandomApi,
  qualifiedName: string,
  at: SyntaxNode,
  statement: SyntaxNode,
  text: string,
  argument: string | undefined,
): ApiReference {
  return {
    api,
    qualifiedName,
    from: at.from,
    to: at.to,
    statementFrom: statement.from,
    statementTo: statement.to,
    line: lineColumn(text, at.from).line,
    ...(argument !== undefined ? { argument } : {}),
  };
}

/** The reference whose callee/target spans `offset`, for hovers. */
export function referenceAt(analysis: SeedingAnalysis, offset: number): ApiReference | undefined {
  return analysis.references.find((r) => r.from <= offset && offset <= r.to);
}

/** RNGs in play that nothing in the document seeds. */
export function unseeded(analysis: SeedingAnalysis): RngCoverage[] {
  return analysis.coverage.filter((c) => c.seededBy.length === 0);
}
