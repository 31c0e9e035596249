import { type ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";

/**
 * A local AWS emulator (moto_server) for tests, on 127.0.0.1 and a free port. Nothing here ever talks to a
 * real AWS endpoint: the environment it hands out names the emulator as the endpoint and carries dummy
 * credentials.
 */

export interface Moto {
  readonly endpoint: string;
  /** Environment for the code under test: endpoint override, dummy credentials, a region. */
  readonly env: NodeJS.ProcessEnv;
  /** Forgets every resource (moto's reset API), so tests do not see each other's buckets. */
  reset(): Promise<void>;
  /** The suite is done with the emulator; the process's server stays up for the next suite (see startMoto). */
  stop(): Promise<void>;
}

export const DUMMY_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

const INSTALL_HINT = 'the emulator tests need the Python package moto, pip install "moto[server]"';

/**
 * Why the emulator tests cannot run here, or undefined when they can. The probe is starting the server the
 * suites then share (see startMoto): moto_server missing from PATH, or one that exits before answering (a
 * pyenv shim without moto behind it), is a reason; one that does not answer in time is a failure.
 */
export async function motoUnavailableReason(): Promise<string | undefined> {
  try {
    await sharedServer();
    return undefined;
  } catch (error) {
    if (!(error instanceof MotoUnavailable)) throw error;
    return `${error.message}: ${INSTALL_HINT}`;
  }
}

class MotoUnavailable extends Error {}

/**
 * Skips the calling suite, with the reason printed, when the emulator is absent. The reason is also kept
 * on the suite (`skipReason`), for the recap tests/support/counting-reporter.js prints at the end.
 */
export async function skipWithoutMoto(context: Mocha.Context): Promise<void> {
  const reason = await motoUnavailableReason();
  if (reason) {
    console.log(`    skipped: ${reason}`);
    const suite = (context.test?.parent ?? context.currentTest?.parent) as
      | (Mocha.Suite & { skipReason?: string })
      | undefined;
    if (suite) suite.skipReason = reason;
    context.skip();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function emulatorEnv(endpoint: string): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    AWS_REGION: "eu-west-1",
  };
}

/**
 * The emulator, empty. One server per process, started on first use and shared by the suites that run in
 * it one after the other (a mocha worker runs many, and each start costs Python half a second of CPU): each
 * call resets it, so a suite starts from an empty emulator as it would with a server of its own. The server
 * ends with the process; one that died is started again.
 */
export async function startMoto(): Promise<Moto> {
  const { endpoint } = await sharedServer();
  const reset = () => post(`${endpoint}/moto-api/reset`);
  await reset();
  return { endpoint, env: emulatorEnv(endpoint), reset, stop: async () => {} };
}

interface MotoServer {
  readonly endpoint: string;
  readonly child: ChildProcess;
}

let server: Promise<MotoServer> | undefined;

async function sharedServer(): Promise<MotoServer> {
  if (server !== undefined) {
    const running = await server.catch(() => undefined);
    if (running && running.child.exitCode === null && running.child.signalCode === null) return running;
  }
  server = launchMoto();
  return server;
}

async function launchMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const spawnFailure = new Promise<never>((_, reject) =>
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(new MotoUnavailable(`moto_server not found on PATH (${error.code})`)),
    ),
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  // Mocha ends its workers with process.exit: 'exit' handlers run, and kill() is synchronous.
  const stopAtExit = () => child.kill("SIGTERM");
  process.once("exit", stopAtExit);
  child.once("exit", () => process.removeListener("exit", stopAtExit));
  // The server must not keep an otherwise finished process (a benchmark) alive.
  child.unref();
  (child.stderr as net.Socket | null)?.unref();
  try {
    await Promise.race([spawnFailure, waitUntilAnswering(`${endpoint}/moto-api/`, child, 15_000)]);
  } catch (error) {
    child.kill();
    if (error instanceof MotoUnavailable) throw error;
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return { endpoint, child };
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new MotoUnavailable(`moto_server exited with ${child.exitCode ?? child.signalCode} before answering`);
    if (await answers(url)) return;
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve(true);
    });
    request.on("error", () => resolve(false));
  });
}

function post(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST" }, (response) => {
      response.resume();
      response.on("end", () =>
        response.statusCode === 200 ? resolve() : reject(new Error(`POST ${url}: ${response.statusCode}`)),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface LocalServer {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that records every request and answers with `respond`: a stand-in for an
 * AWS API the emulator does not implement.
 */
export async function startRecordingServer(
  respond: (request: RecordedRequest) => { status: number; headers?: Record<string, string>; body: string },
): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(recorded);
      const answer = respond(recorded);
      res.writeHead(answer.status, { "content-type": "application/xml", ...answer.headers });
      res.end(answer.body);
    });
  });
  return listen(server, requests);
}

/**
 * A proxy in front of the emulator that adds response headers the emulator never sends, such as
 * `x-amz-replication-status`: the test plays the part of S3's replication engine.
 */
export async function startHeaderProxy(
  target: string,
  extraHeaders: (request: { method: string; url: string }) => Record<string, string>,
): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: body.toString() });
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (response) => {
          res.writeHead(response.statusCode ?? 502, {
            ...response.headers,
            ...extraHeaders({ method: req.method ?? "", url: req.url ?? "" }),
          });
          response.pipe(res);
        },
      );
      forward.on("error", (error) => {
        res.writeHead(502);
        res.end(error.message);
      });
      forward.end(body);
    });
  });
  return listen(server, requests);
}

async function listen(server: http.Server, requests: RecordedRequest[]): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
