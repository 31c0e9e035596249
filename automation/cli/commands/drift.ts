import { deployCommand, type DeploySpec } from "./deploy-common";

export const spec: DeploySpec = {
  name: "drift",
  summary: "Compare every stack with what is really in AWS (refresh in preview mode); changes nothing",
  description: `Usage: org-s3-backup drift [options]

Runs a refresh in preview mode on the central stack and every source stack: the summary lists, per
account, how many resources differ from the state (~ changed, - gone). Exit code 1 when any stack
drifted or could not be checked (for example, never deployed).`,
};

export const command = deployCommand(spec);
