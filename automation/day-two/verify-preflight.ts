import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { type AwsClients, awsErrorText, isEnvironmentError, sessionName } from "./aws-clients";

/**
 * verify's first step: the failures every account would share — no credentials, credentials refused, an
 * endpoint or region that does not answer, a central role that cannot be assumed — found once, before any
 * canary, and said in one line. Without it each of 300 accounts reports the same cause as its own ERROR
 * row, blaming the account's role.
 */

/** The two calls the check makes. */
export interface PreflightCalls {
  /** STS GetCallerIdentity with the caller's own credentials in `region`; resolves to the caller's ARN. */
  whoAmI(region: string): Promise<string>;
  /** STS AssumeRole of `roleArn` (through `region`'s endpoint) with the caller's credentials. */
  assume(roleArn: string, region: string): Promise<void>;
}

export type PreflightResult =
  | { readonly ok: true; readonly caller: string }
  | { readonly ok: false; readonly exitCode: 1 | 3; readonly message: string };

/** How long one probe may take before the endpoint counts as not answering. */
export const PREFLIGHT_TIMEOUT_MS = 30_000;

/** Error names STS gives for credentials it does not accept (the caller's, not an account's). */
const REFUSED_CREDENTIALS = new Set([
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "SignatureDoesNotMatch",
  "UnrecognizedClientException",
  "InvalidAccessKeyId",
  "AuthFailure",
]);

/**
 * Who the caller is (in the central region), then the central role: every account's check reads the
 * central bucket as that role. Never throws.
 */
export async function preflight(
  calls: PreflightCalls,
  central: { readonly region: string; readonly roleArn: string },
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<PreflightResult> {
  let caller: string;
  try {
    caller = await withTimeout(calls.whoAmI(central.region), timeoutMs, `STS in ${central.region}`);
  } catch (error) {
    return { ok: false, exitCode: 3, message: callerProblem(error, central.region) };
  }
  try {
    await withTimeout(calls.assume(central.roleArn, central.region), timeoutMs, `STS in ${central.region}`);
  } catch (error) {
    const environment = isEnvironmentError(error) || error instanceof NoAnswer;
    return {
      ok: false,
      exitCode: environment ? 3 : 1,
      message:
        `cannot assume the central role ${central.roleArn} as ${caller}: ${awsErrorText(error)} — ` +
        "every account's check reads the central bucket as this role; nothing was checked",
    };
  }
  return { ok: true, caller };
}

function callerProblem(error: unknown, region: string): string {
  const name = (error as { name?: string; Code?: string }).Code ?? (error as { name?: string }).name ?? "";
  const text = awsErrorText(error);
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(text))
    return (
      "no AWS credentials: set AWS_PROFILE (aws sso login), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
      "or run where a role is attached; nothing was checked"
    );
  if (error instanceof NoAnswer || isEnvironmentError(error))
    return (
      `cannot reach AWS STS in ${region} (${text}): ` +
      "check the network, a proxy, or AWS_ENDPOINT_URL; nothing was checked"
    );
  if (REFUSED_CREDENTIALS.has(name))
    return (
      `your AWS credentials were refused by STS in ${region} (${text}): ` +
      "log in again or refresh them (is the region enabled for the account?); nothing was checked"
    );
  return `cannot identify the caller with STS GetCallerIdentity in ${region}: ${text}; nothing was checked`;
}

class NoAnswer extends Error {}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The real calls: GetCallerIdentity with the ambient credentials, AssumeRole through the clients' cache. */
export function awsPreflightCalls(clients: AwsClients, runId: string): PreflightCalls {
  return {
    async whoAmI(region) {
      const answer = await clients.sts(region, clients.ambient()).send(new GetCallerIdentityCommand({}));
      return answer.Arn ?? `account ${answer.Account ?? "unknown"}`;
    },
    async assume(roleArn, region) {
      await clients.assumeRole(roleArn, region, sessionName("verify", runId))();
    },
  };
}
