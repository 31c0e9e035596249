import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export interface AccountProviderArgs {
  /** The account the stack deploys into: the provider refuses credentials of any other account. */
  readonly accountId: string;
  readonly region: string;
  /** Role the provider assumes in that account. */
  readonly roleArn: string;
  /** Applied to every taggable resource of the stack. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Session name the deployment shows in the account's CloudTrail. */
export const SESSION_NAME = "org-s3-backup";

/**
 * The one AWS provider of a stack. Default providers are disabled in Pulumi.yaml, so a resource that
 * does not inherit this provider fails instead of using ambient credentials.
 */
export function accountProvider(
  name: string,
  args: AccountProviderArgs,
  opts?: pulumi.CustomResourceOptions,
): aws.Provider {
  return new aws.Provider(
    name,
    {
      region: args.region,
      assumeRoles: [{ roleArn: args.roleArn, sessionName: SESSION_NAME }],
      allowedAccountIds: [args.accountId],
      defaultTags: { tags: { ...args.tags } },
    },
    opts,
  );
}
