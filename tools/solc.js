#!/usr/bin/env node
// A `solc` that forge can drive, backed by solc-js (no native solc is available from the registries).
// Forge calls `--version` and `--standard-json` (input on stdin, output on stdout) and passes
// --allow-paths/--base-path/--include-path, which we honour for import resolution.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);
const roots = [];
let standardJson = false;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--version') {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    process.exit(0);
  } else if (arg === '--standard-json') {
    standardJson = true;
  } else if (arg === '--base-path' || arg === '--include-path' || arg === '--allow-paths') {
    const value = args[++i];
    if (value === undefined) fail(`${arg} needs a value`);
    if (arg !== '--allow-paths') roots.push(value);
  } else if (arg.startsWith('--')) {
    // Other flags forge may add (e.g. --no-import-callback variants) do not change compilation here.
  } else {
    fail(`unexpected argument: ${arg}`);
  }
}
if (!standardJson) fail('only --version and --standard-json are supported');
if (roots.length === 0) roots.push(process.cwd());

function fail(message) {
  process.stderr.write(`solc.js: ${message}\n`);
  process.exit(1);
}

function findImport(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.resolve(r, importPath));
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImport }));
