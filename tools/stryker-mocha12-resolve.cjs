// @stryker-mutator/mocha-runner 10.0.0 loads mocha's CLI helpers with require(".../lib/cli/run-helpers"), but
// mocha 12 ships them as `.cjs`, which require() does not try. Until the runner resolves `.cjs` itself, the
// test-runner processes of `npm run mutation` load this first (stryker.config.json testRunnerNodeArgs): a
// request for mocha's lib/cli/<name> that is not found is retried as <name>.cjs. Nothing else changes.
const Module = require("node:module");

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveMochaCli(request, ...rest) {
  try {
    return resolve.call(this, request, ...rest);
  } catch (error) {
    if (error?.code === "MODULE_NOT_FOUND" && /[\\/]mocha[\\/]lib[\\/]cli[\\/][\w-]+$/.test(request)) {
      return resolve.call(this, `${request}.cjs`, ...rest);
    }
    throw error;
  }
};
