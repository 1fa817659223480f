// Generates the Python parser of core/python (src/core/python/lezer/parser.js
// and parser.terms.js) from the patched grammar beside it, with
// @lezer/generator (a devDependency). The output is committed, so building and
// running InitLens never needs the generator; `--check` exits 1 when the
// committed files are not what the grammar generates.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'src', 'core', 'python', 'lezer');

/** The two generated files, as @lezer/generator writes them for `python.grammar`. */
function generate() {
  const { buildParserFile } = require('@lezer/generator');
  const grammar = fs.readFileSync(path.join(dir, 'python.grammar'), 'utf8');
  const warnings = [];
  const { parser, terms } = buildParserFile(grammar, {
    fileName: 'python.grammar',
    moduleStyle: 'es',
    warn: (message) => warnings.push(message),
  });
  if (warnings.length) throw new Error(`grammar warnings:\n${warnings.join('\n')}`);
  return { 'parser.js': parser, 'parser.terms.js': terms };
}

if (require.main === module) {
  const files = generate();
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
        console.error(`${path.relative(process.cwd(), file)} is not what python.grammar generates: run node scripts/generate-parser.js`);
        stale++;
      }
    } else {
      fs.writeFileSync(file, text);
    }
  }
  process.exitCode = stale ? 1 : 0;
}

module.exports = { generate, dir };
