#!/usr/bin/env node

// The sources are TypeScript run through tsx, so the CLI and the Pulumi program share one code path
// with no build step to forget.
require("tsx/cjs");
require("../automation/cli/main")
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err?.stack ? err.stack : String(err));
      process.exitCode = 70;
    },
  );
