/** Every command InitLens contributes; ids match `package.json` → `contributes.commands`. */
export const Commands = {
  showSeedReport: 'initlens.showSeedReport',
  applyInit: 'initlens.applyInit',
  showHistogram: 'initlens.showHistogram',
  showSignal: 'initlens.showSignal',
  applyLsuv: 'initlens.applyLsuv',
  insertSeed: 'initlens.insertSeed',
  checkWorkspace: 'initlens.checkWorkspace',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** The Signal panel's webview type (`onWebviewPanel:initlens.signal` in package.json). */
export const SIGNAL_VIEW_TYPE = 'initlens.signal';
