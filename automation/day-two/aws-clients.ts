import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { KMSClient } from "@aws-sdk/client-kms";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";

/**
 * AWS SDK clients for the day-two commands (verify, discover, backfill, coverage): credentials from the caller's
 * environment, one STS AssumeRole per account role, and an endpoint override for emulators.
 */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type CredentialProvider = () => Promise<Credentials>;

export type AwsService = "s3" | "s3-control" | "sts" | "organizations" | "cloudwatch" | "kms";

/** Organizations is a global service served from us-east-1 (aws partition). */
export const ORGANIZATIONS_REGION = "us-east-1";

/** Assumed-role credentials are refreshed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * `AWS_ENDPOINT_URL_<SERVICE>` wins over `AWS_ENDPOINT_URL`, as in the AWS SDKs' shared configuration
 * (service id upper-cased, spaces and dashes as underscores: `AWS_ENDPOINT_URL_S3_CONTROL`).
 */
export function endpointOverride(service: AwsService, env: NodeJS.ProcessEnv): string | undefined {
  const specific = env[`AWS_ENDPOINT_URL_${service.toUpperCase().replace(/-/g, "_")}`];
  const value = specific || env.AWS_ENDPOINT_URL;
  return value ? value : undefined;
}

/** Static credentials when the environment names them; otherwise the SDK's default chain decides. */
export function environmentCredentials(env: NodeJS.ProcessEnv): Credentials | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

type ClientCredentials = Credentials | CredentialProvider | undefined;

/** Creates clients for one environment; assumed roles are cached per role and region. */
export class AwsClients {
  private readonly roles = new Map<string, CredentialProvider>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Credentials the process was started with (environment variables or the SDK's default chain). */
  ambient(): ClientCredentials {
    return environmentCredentials(this.env);
  }

  s3(region: string, credentials: ClientCredentials): S3Client {
    const endpoint = endpointOverride("s3", this.env);
    return new S3Client({
      region,
      ...(credentials ? { credentials } : {}),
      // Emulators serve every bucket on one host: virtual-hosted names would not resolve.
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    });
  }

  s3Control(region: string, credentials: ClientCredentials): S3ControlClient {
    const endpoint = endpointOverride("s3-control", this.env);
    return new S3ControlClient({
      region,
      ...(credentials ? { credentials } : {}),
      // S3 Control's endpoint rules prefix the host with the account id (`<id>.s3-control...`), which an
      // emulator on an IP address cannot answer; the account id also travels in `x-amz-account-id`.
      ...(endpoint ? { endpointProvider: () => ({ url: new URL(endpoint) }) } : {}),
    });
  }

  organizations(credentials: ClientCredentials): OrganizationsClient {
    const endpoint = endpointOverride("organizations", this.env);
    return new OrganizationsClient({
      region: ORGANIZATIONS_REGION,
      ...(credentials ? { credentials } : {}),
      ...(endpoint ? { endpoint } : {}),
    });
  }

  cloudwatch(region: string, credentials: ClientCredentials): CloudWatchClient {
    const endpoint = endpointOverride("cloudwatch", this.env);
    return new CloudWatchClient({ region, ...(credentials ? { credentials } : {}), ...(endpoint ? { endpoint } : {}) });
  }

  kms(region: string, credentials: ClientCredentials): KMSClient {
    const endpoint = endpointOverride("kms", this.env);
    return new KMSClient({ region, ...(credentials ? { credentials } : {}), ...(endpoint ? { endpoint } : {}) });
  }

  sts(region: string, credentials: ClientCredentials): STSClient {
    const endpoint = endpointOverride("sts", this.env);
    return new STSClient({ region, ...(credentials ? { credentials } : {}), ...(endpoint ? { endpoint } : {}) });
  }

  /**
   * Credentials of `roleArn`, assumed with the ambient credentials through the regional STS endpoint.
   * Lazy: nothing is called until a client signs a request, and the result is reused until shortly
   * before it expires.
   */
  assumeRole(roleArn: string, region: string, sessionName: string): CredentialProvider {
    const cacheKey = `${roleArn} ${region}`;
    const cached = this.roles.get(cacheKey);
    if (cached) return cached;
    const sts = this.sts(region, this.ambient());
    let current: Promise<Credentials> | undefined;
    let refreshAt = 0;
    const provider: CredentialProvider = () => {
      if (!current || Date.now() >= refreshAt) {
        // Until the answer arrives, concurrent callers share this request.
        refreshAt = Number.POSITIVE_INFINITY;
        const request = assume(sts, roleArn, sessionName);
        current = request;
        request.then(
          (credentials) => {
            refreshAt = credentials.expiration
              ? credentials.expiration.getTime() - REFRESH_MARGIN_MS
              : Number.POSITIVE_INFINITY;
          },
          () => {
            if (current === request) current = undefined;
          },
        );
      }
      return current;
    };
    this.roles.set(cacheKey, provider);
    return provider;
  }
}

async function assume(sts: STSClient, roleArn: string, sessionName: string): Promise<Credentials> {
  const { Credentials: issued } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 3600 }),
  );
  if (!issued?.AccessKeyId || !issued.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
  return {
    accessKeyId: issued.AccessKeyId,
    secretAccessKey: issued.SecretAccessKey,
    ...(issued.SessionToken ? { sessionToken: issued.SessionToken } : {}),
    ...(issued.Expiration ? { expiration: issued.Expiration } : {}),
  };
}

/** A role session name from a purpose and a run id: at most 64 of `[\w+=,.@-]`. */
export function sessionName(purpose: string, runId: string): string {
  return `org-s3-backup-${purpose}-${runId}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * True when an error means the environment is missing something (no credentials, endpoint unreachable)
 * rather than that AWS answered no: the first is exit code 3, the second a per-account failure.
 */
export function isEnvironmentError(error: unknown): boolean {
  const e = error as
    | { name?: string; code?: string; message?: string; cause?: unknown; $metadata?: unknown }
    | undefined;
  if (!e || typeof e !== "object") return false;
  if (e.name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) return true;
  if (e.code && UNREACHABLE_CODES.has(e.code)) return true;
  if (e.name === "TimeoutError" && e.$metadata === undefined) return true;
  if (e.name === "AggregateError") return (error as AggregateError).errors.some(isEnvironmentError);
  return e.cause !== undefined && isEnvironmentError(e.cause);
}

/** `AccessDenied: User ... is not authorized ...` from an SDK error, for tables and JSON. */
export function awsErrorText(error: unknown): string {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.Code ?? e?.name;
  const message = e?.message ?? String(error);
  return name && name !== "Error" && !message.startsWith(name) ? `${name}: ${message}` : message;
}
