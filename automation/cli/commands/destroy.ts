import { deployCommand, type DeploySpec } from "./deploy-common";

export const spec: DeploySpec = {
  name: "destroy",
  summary: "Remove replication from source accounts (the central stack only when named); data is kept",
  description: `Usage: org-s3-backup destroy [options]

Destroys the selected source stacks' resources except protected ones: buckets and keys holding data
are kept (Pulumi's --exclude-protected), replication rules, roles and alarms go. The central stack is
destroyed only when named (--accounts central), only after its sources, and only when no source
stack is left deployed. Stacks that were never deployed are reported as "not deployed".`,
};

export const command = deployCommand(spec);
