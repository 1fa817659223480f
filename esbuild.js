// Build script, after microsoft/vscode-extension-samples `esbuild-sample`:
// `node esbuild.js [--production] [--watch]` bundles the extension host entry,
// the CLI and the webview page; `--tests` bundles the test suites and launchers.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** Prints errors in the format of the `$esbuild-watch` problem matcher. */
const esbuildProblemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      console.log('[watch] build started');
    });
    build.onEnd((result) => {
      result.errors.forEach(({ text, location }) => {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      });
      console.log('[watch] build finished');
    });
  },
};

const version = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8')).version;

/** Options shared by every Node-side bundle. */
const node = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  define: { INITLENS_VERSION: JSON.stringify(version) },
  plugins: [esbuildProblemMatcherPlugin],
};

/**
 * TensorFlow.js packages are loaded lazily by the GPU backend
 * (core/sampling/backends.ts) and only where installed: never bundled.
 */
const tfjsNode = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

function productEntries() {
  return [
    { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', ...tfjsNode] },
    { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', external: tfjsNode },
    // The sampling pool's worker_threads script: its own entry, found beside
    // the bundle that starts it (core/sampling/pool.ts defaultWorkerScript).
    { ...node, entryPoints: ['src/core/sampling/worker.ts'], outfile: 'dist/samplingWorker.js' },
    {
      ...node,
      entryPoints: ['src/webview/main.ts'],
      outfile: 'dist/webview.js',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    },
  ];
}

/** Every `*.ts` file directly in `dir`. */
function tsFiles(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)) : [];
}

function testEntries() {
  return [
    {
      ...node,
      entryPoints: [...tsFiles('test/unit'), ...tsFiles('test/integration'), ...tsFiles('test/e2e'), ...tsFiles('test/host'), 'test/runAll.ts'],
      outdir: 'out/test',
      outbase: 'test',
      // Resolved at run time from node_modules: the VS Code API, the test
      // framework that registers suites globally, and the browser driver.
      // @tensorflow/tfjs (pure JS) is injected into the tfjs backend by the tests.
      external: ['vscode', 'mocha', 'playwright-core', '@vscode/test-electron', '@tensorflow/tfjs', ...tfjsNode],
    },
    { ...node, entryPoints: tsFiles('bench'), outdir: 'out/bench', external: ['@tensorflow/tfjs', ...tfjsNode] },
  ];
}

async function main() {
  const entries = tests ? testEntries() : productEntries();
  const contexts = await Promise.all(entries.map((options) => esbuild.context(options)));
  if (watch) {
    await Promise.all(contexts.map((ctx) => ctx.watch()));
  } else {
    const results = await Promise.allSettled(contexts.map((ctx) => ctx.rebuild()));
    await Promise.all(contexts.map((ctx) => ctx.dispose()));
    if (results.some((r) => r.status === 'rejected')) process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
