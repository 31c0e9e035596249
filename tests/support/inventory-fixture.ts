import type { CentralAccount, Inventory, SourceAccount } from "../../config/types";

/**
 * Valid `Inventory` objects for tests that do not exercise the YAML loader. Documentation-style ids:
 * central 999999999999, sources 111111111111, 222222222222, 333333333333.
 */
export const ORG_ID = "o-a1b2c3d4e5";

export function centralAccount(overrides: Partial<CentralAccount> = {}): CentralAccount {
  return {
    accountId: "999999999999",
    name: "backup-central",
    region: "eu-west-1",
    roleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole",
    bucketName: "acme-org-backup-999999999999",
    kmsAlias: "alias/org-s3-backup-central",
    tags: { "managed-by": "org-s3-backup" },
    ...overrides,
  };
}

export function sourceAccount(accountId: string, overrides: Partial<SourceAccount> = {}): SourceAccount {
  return {
    accountId,
    name: `app-${accountId.slice(0, 3)}`,
    region: "eu-west-1",
    roleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
    bucket: { name: `acme-data-${accountId}`, existing: false },
    kmsAlias: "alias/org-s3-backup-source",
    replication: {
      storageClass: "STANDARD_IA",
      replicationTimeControl: true,
      metrics: true,
      deleteMarkerReplication: false,
    },
    monitoring: { enabled: true },
    backfill: { enabled: false },
    enabled: true,
    tags: { "managed-by": "org-s3-backup" },
    ...overrides,
  };
}

/** An inventory with `count` source accounts (ids 100000000000 + i) unless `sources` are given. */
export function inventory(
  options: { sources?: SourceAccount[]; count?: number; central?: Partial<CentralAccount> } = {},
): Inventory {
  const sources =
    options.sources ??
    Array.from({ length: options.count ?? 3 }, (_, i) =>
      sourceAccount(i < 3 ? ["111111111111", "222222222222", "333333333333"][i] : String(100000000000 + i)),
    );
  return {
    sourcePath: "/fixture/accounts.yaml",
    organizationId: ORG_ID,
    central: centralAccount(options.central),
    sources,
  };
}
