/** Helpers shared by the integration suites (bundled into each of them). */
import type * as vscode from 'vscode';

/** Polls `probe` until it returns something truthy (providers answer once activated, diagnostics arrive debounced). */
export async function waitFor<T>(probe: () => Thenable<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** All the Markdown of a set of hovers, as one string. */
export function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}
