/**
 * Runs `task` with V8's stack capture off (`Error.stackTraceLimit = 0`), unless the SDK's promise-leak
 * report is asked for. The SDK captures a stack for every promise it makes (runtime/debuggable.js
 * `debuggablePromise`; only that report, under PULUMI_DEBUG_PROMISE_LEAKS, reads them) and for every
 * resource (resource.js `sourcePosition`, which the mock monitor ignores), and Node formats each one
 * through source maps, which tsx turns on: 300 stacks took 14.7 s with them, 2.9 s without
 * (bench/render.ts). The limit is process-wide: errors made elsewhere meanwhile have no stack either, and
 * an error `task` throws has none (render runs a failed stack again without this).
 */
export async function withoutStackTraces<T>(task: () => Promise<T>): Promise<T> {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return task();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await task();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
