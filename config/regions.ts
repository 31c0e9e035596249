/**
 * AWS regions an inventory may name, with their partition.
 *
 * Hard-coded on purpose: `validate` and `plan` are offline (no credentials, no network), and a typo such as
 * `eu-west-4` must fail before anything is deployed. The price is that a region AWS opens after this list
 * was written is refused until it is added here (one line). Regions of the ISO partitions and the
 * European Sovereign Cloud are left out: nobody has asked for them and their ARNs differ.
 */
export type Partition = "aws" | "aws-us-gov" | "aws-cn";

const COMMERCIAL = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-south-1",
  "eu-south-2",
  "eu-north-1",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "mx-central-1",
  "sa-east-1",
] as const;
const GOV_CLOUD = ["us-gov-east-1", "us-gov-west-1"] as const;
const CHINA = ["cn-north-1", "cn-northwest-1"] as const;

const PARTITION_OF = new Map<string, Partition>([
  ...COMMERCIAL.map((region) => [region, "aws"] as const),
  ...GOV_CLOUD.map((region) => [region, "aws-us-gov"] as const),
  ...CHINA.map((region) => [region, "aws-cn"] as const),
]);

export const REGIONS: readonly string[] = [...PARTITION_OF.keys()];

export function isKnownRegion(region: string): boolean {
  return PARTITION_OF.has(region);
}

/** The partition of a known region (ARNs and cross-account replication depend on it). */
export function partitionOf(region: string): Partition {
  const partition = PARTITION_OF.get(region);
  if (!partition) throw new Error(`unknown region ${region}`);
  return partition;
}
