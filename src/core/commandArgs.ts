/**
 * The arguments InitLens's own lenses, hovers and panel pass to its commands
 * (`[uri, model, layer]`), checked before a command acts on them. A command
 * URI in Markdown, a keybinding or another extension can call a command with
 * anything; what InitLens did not generate is refused with a message, never
 * opened or edited.
 */

/** Longest document URI a command or the panel accepts (a path plus a query, far beyond real ones). */
export const MAX_URI_LENGTH = 8192;
/** Longest model or layer name accepted from a command argument or the panel page. */
export const MAX_NAME_LENGTH = 1000;

/** A document, optionally one model in it, optionally one layer of that model. */
export interface CommandTarget {
  readonly uri?: string;
  readonly model?: string;
  readonly layer?: string;
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME_LENGTH;

/** Whether `value` is a URI string as `vscode.Uri.toString()` writes it (a scheme, then the rest), within bounds. */
export function isUriString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_URI_LENGTH && /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(value);
}

/**
 * Reads `[uri?, model?, layer?]` (up to `accepts` of them), or says why they
 * are not arguments InitLens generates. Undefined (or null) stands for "not
 * given"; a layer needs a model, a model needs a document.
 */
export function readCommandTarget(args: readonly unknown[], accepts: 1 | 2 | 3): CommandTarget | { readonly problem: string } {
  if (args.length > accepts) return { problem: `it takes at most ${accepts} argument${accepts === 1 ? '' : 's'}, got ${args.length}` };
  const [uri, model, layer] = args.map((a) => (a === null ? undefined : a));
  if (uri !== undefined && !isUriString(uri)) return { problem: 'the first argument must be a document URI' };
  if (model !== undefined && !isName(model)) return { problem: `the model must be a name of 1 to ${MAX_NAME_LENGTH} characters` };
  if (layer !== undefined && !isName(layer)) return { problem: `the layer must be a name of 1 to ${MAX_NAME_LENGTH} characters` };
  if (model !== undefined && uri === undefined) return { problem: 'a model needs the document it is in' };
  if (layer !== undefined && model === undefined) return { problem: 'a layer needs its model' };
  return { ...(uri !== undefined ? { uri } : {}), ...(model !== undefined ? { model } : {}), ...(layer !== undefined ? { layer } : {}) };
}
