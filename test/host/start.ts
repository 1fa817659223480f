/**
 * `npm start`: VS Code with InitLens loaded from this folder, on `examples/`.
 * - Desktop VS Code when `code` is on PATH (`--extensionDevelopmentPath`).
 * - Otherwise code-server on 127.0.0.1 (installed on first use), with this
 *   folder linked into its extensions dir, printing the URL to open.
 * Either way `esbuild --watch` keeps `dist/` current: "Developer: Reload Window"
 * picks up a change. Ctrl+C stops everything it started.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CACHE, ROOT } from './paths';
import { ensureCodeServer, startCodeServer, writeUserSettings, type Sandbox } from './codeServer';

const examples = path.join(ROOT, 'examples');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };

function hasDesktopCode(): boolean {
  return process.env.INITLENS_NO_DESKTOP !== '1' && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Links this folder into `extensionsDir` as the installed InitLens (stale versions removed). */
function linkExtension(extensionsDir: string): void {
  const id = `${manifest.publisher}.${manifest.name}`;
  for (const entry of fs.readdirSync(extensionsDir)) {
    if (entry.startsWith(`${id}-`)) fs.rmSync(path.join(extensionsDir, entry), { recursive: true, force: true });
  }
  fs.rmSync(path.join(extensionsDir, 'extensions.json'), { force: true });
  fs.symlinkSync(ROOT, path.join(extensionsDir, `${id}-${manifest.version}`), 'dir');
}

async function main(): Promise<void> {
  const watcher = spawn(process.execPath, [path.join(ROOT, 'esbuild.js'), '--watch'], { cwd: ROOT, stdio: 'ignore' });
  process.on('exit', () => watcher.kill());
  if (hasDesktopCode()) {
    console.log('Opening desktop VS Code with InitLens in development mode on examples/ (esbuild --watch runs until Ctrl+C) ...');
    spawnSync('code', ['--new-window', '--wait', `--extensionDevelopmentPath=${ROOT}`, examples], { stdio: 'inherit' });
    return;
  }
  const install = ensureCodeServer();
  // A persistent profile in the cache: layout and open editors survive restarts.
  const dir = path.join(CACHE, 'dev-profile');
  const profile: Sandbox = {
    dir,
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    home: path.join(dir, 'home'),
    workspace: examples,
    dispose: () => undefined,
  };
  for (const d of [profile.extensionsDir, profile.home]) fs.mkdirSync(d, { recursive: true });
  if (!fs.existsSync(path.join(profile.userDataDir, 'User', 'settings.json'))) writeUserSettings(profile.userDataDir);
  linkExtension(profile.extensionsDir);
  const server = await startCodeServer(install, profile);
  console.log(
    `${install.versionLine}\n\nInitLens (this folder, rebuilt on change) is loaded. Open:\n\n  ${server.url(examples)}\n\n` +
      'After a change, run "Developer: Reload Window". Press Ctrl+C to stop.',
  );
  const code = await server.process.exited;
  console.log(`code-server exited (${code}); its log: ${server.logFile}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
