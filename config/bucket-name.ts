/** S3 general-purpose bucket naming rules and the bucket-name template of `defaults.bucket`. */

export const BUCKET_PLACEHOLDERS = ["accountId", "name", "region"] as const;
export type BucketPlaceholder = (typeof BUCKET_PLACEHOLDERS)[number];

const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Why `name` is not a valid bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3 to 63 characters long (it has ${name.length})`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "may contain only lowercase letters, digits, hyphens and dots";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name))
    return "must begin and end with a lowercase letter or a digit";
  if (name.includes("..")) return "must not contain two adjacent dots";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "must not look like an IP address";
  const prefix = RESERVED_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `must not begin with \`${prefix}\` (reserved by AWS)`;
  const suffix = RESERVED_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix) return `must not end with \`${suffix}\` (reserved by AWS)`;
  return undefined;
}

/** Placeholders `{...}` in `template` that are not ours. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)]
    .map((match) => match[1])
    .filter((name) => !(BUCKET_PLACEHOLDERS as readonly string[]).includes(name));
}

export function expandBucketTemplate(template: string, values: Readonly<Record<BucketPlaceholder, string>>): string {
  return template.replace(/\{(accountId|name|region)\}/g, (_, key: BucketPlaceholder) => values[key]);
}
