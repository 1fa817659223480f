/**
 * What a panel restored after a restart may show. Its saved state is page
 * data (anything the page, or a crafted state, wrote), so the panel follows it
 * only when it is a valid state of a document the user has open again;
 * otherwise the panel stays empty and says why, and nothing is opened.
 */
import { parsePanelState, type PanelState } from '../../webview/protocol';

/** The file name a URI ends in, for messages (the URI itself when it has none). */
function fileName(uri: string): string {
  const last = uri.replace(/[?#].*$/, '').split('/').pop() ?? '';
  try {
    return decodeURIComponent(last) || uri;
  } catch {
    return last || uri;
  }
}

/** The state to follow, or the message an empty panel shows instead. */
export function revivedState(state: unknown, isOpen: (uri: string) => boolean): { readonly state: PanelState } | { readonly message: string } {
  const parsed = parsePanelState(state);
  if ('problem' in parsed) return { message: `InitLens could not restore this panel: ${parsed.problem}. Use Preview on a model to open it again.` };
  if (!isOpen(parsed.value.uri)) return { message: `InitLens did not reopen ${fileName(parsed.value.uri).slice(0, 200)}: it is not open in this window. Open it and use Preview.` };
  return { state: parsed.value };
}
