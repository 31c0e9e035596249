import { deployCommand, type DeploySpec } from "./deploy-common";

export const spec: DeploySpec = {
  name: "preview",
  summary: "Show what `up` would change, per account (works before the central stack exists)",
  description: `Usage: org-s3-backup preview [options]

Previews the central stack, then every source stack (each reads the central key through a
StackReference). Before the central stack is deployed, sources are previewed with the central key ARN
unknown, and the summary says so. Lists orphan stacks (accounts that
left the inventory). Creates missing stacks in the backend; changes no cloud resource.`,
};

export const command = deployCommand(spec);
