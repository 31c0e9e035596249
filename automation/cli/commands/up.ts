import { deployCommand, type DeploySpec } from "./deploy-common";

export const spec: DeploySpec = {
  name: "up",
  summary: "Deploy the central stack, then every source account with bounded concurrency",
  prune: true,
  description: `Usage: org-s3-backup up [options] [--prune]

Deploys the central stack first; if it fails, no source stack starts. Each source stack reads the
central KMS key ARN from the central stack itself (a StackReference; each account's alarm topic is
derived from the inventory by the program); sources deploy with at most --concurrency at once. No
stack config is written. With --accounts and without 'central', the central stack is not updated:
its deployed outputs are checked and used.

  --prune   Also destroy orphan stacks (accounts removed from the inventory or disabled): their
            unprotected resources (replication rule, role, alarms) are destroyed, protected ones
            (buckets, keys: the data) are kept and listed, then the stack's state is removed.
            Cannot be combined with --accounts.`,
};

export const command = deployCommand(spec);
