// Pulumi.yaml's `main`: the Pulumi program is infra/index.ts; this file only decides when tsx starts.
//
// The SDK's run harness (@pulumi/pulumi/cmd/run) has loaded @pulumi/pulumi before it requires this file.
// The packages the program imports load next, as plain CommonJS, and only then does tsx register for the
// program's own TypeScript. tsx's require hook reads and lexes every JavaScript file loaded after it (to
// tell ES modules apart), so registering it first (`nodeargs: --require tsx/cjs`) made every stack's run
// load the SDK and the AWS provider at twice the cost: 0.5 s of CPU more per run, for each stack of every
// `up`. tests/infra/import-direction.test.ts checks that the list below is every package infra/ and
// config/ import.
require("@pulumi/aws");
require("yaml");
require("zod");
require("tsx/cjs");

module.exports = require("./index.ts");
