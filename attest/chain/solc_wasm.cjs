#!/usr/bin/env node
// A `solc`-compatible command over the official WebAssembly compiler from npm (package `solc`).
// It answers `--version` and `--standard-json` the way native solc does, so py-solc-x (and any tool
// that drives solc) can use it on machines where no native binary can be installed. Imports are
// read relative to --base-path (default: the working directory), after the input's remappings.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write(
    "solc, the solidity compiler commandline interface\nVersion: " + solc.version() + "\n",
  );
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solc_wasm.cjs supports only --version and --standard-json\n");
  process.exit(2);
}
const baseIdx = args.indexOf("--base-path");
const basePath = path.resolve(baseIdx >= 0 ? args[baseIdx + 1] : process.cwd());

function findImports(importPath) {
  const full = path.resolve(basePath, importPath);
  if (!full.startsWith(basePath + path.sep)) return { error: "import outside base path: " + importPath };
  try {
    return { contents: fs.readFileSync(full, "utf8") };
  } catch (err) {
    return { error: "cannot read " + importPath + ": " + err.code };
  }
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
