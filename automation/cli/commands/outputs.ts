import type { Io } from "../command";
import type { RunReport } from "../../driver/run";
import { displayOutputs } from "../../driver/summary";
import { deployCommand, type DeploySpec } from "./deploy-common";

export const spec: DeploySpec = {
  name: "outputs",
  summary: "Print the deployed stacks' outputs (bucket, key and role ARNs); secrets stay masked",
  description: `Usage: org-s3-backup outputs [options]

Reads the outputs of the central stack and every source stack from the backend.`,
  render: printOutputs,
};

export const command = deployCommand(spec);

function printOutputs(report: RunReport, io: Io): void {
  for (const result of report.results) {
    if (!result.outputs) continue;
    io.stdout.write(`\n${result.stack} (${result.accountId})\n`);
    for (const [key, value] of Object.entries(displayOutputs(result.outputs))) {
      io.stdout.write(`  ${key} = ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    }
  }
}
