/**
 * Entry of the panel's page (`dist/webview.js`, bundled for the browser). It
 * renders what the host sends and reports back only through `protocol.ts`.
 */
import { isHostMessage, type PageMessage } from './protocol';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const status = document.getElementById('status');

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostMessage(event.data)) return;
  if (status) status.textContent = event.data.message;
});

vscode.postMessage({ type: 'ready' });
