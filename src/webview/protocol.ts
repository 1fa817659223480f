/**
 * The one message protocol between the extension host and the histogram panel's
 * page. Both sides import these types; everything that arrives is checked with
 * the guards below before it is acted on (a webview is an untrusted boundary).
 *
 * The panel itself arrives with the histogram issue; this is its contract.
 */

/** Page → host. */
export type PageMessage = { readonly type: 'ready' };

/** Host → page. */
export type HostMessage = { readonly type: 'error'; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isPageMessage(value: unknown): value is PageMessage {
  return isRecord(value) && value.type === 'ready' && Object.keys(value).length === 1;
}

export function isHostMessage(value: unknown): value is HostMessage {
  return isRecord(value) && value.type === 'error' && typeof value.message === 'string';
}
