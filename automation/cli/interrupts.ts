/** The signals that ask a command to stop. */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** Ctrl-C, SIGTERM and SIGHUP as a dependency, so that a test can press it with a function call. */
export interface Interrupts {
  /** Calls `handler` on each interrupt until the returned function is called; no signal means Ctrl-C. */
  onInterrupt(handler: (signal?: InterruptSignal) => void): () => void;
}

function listen(signals: readonly InterruptSignal[]): Interrupts {
  return {
    onInterrupt(handler) {
      const listeners = signals.map((signal) => [signal, () => handler(signal)] as const);
      for (const [signal, listener] of listeners) process.on(signal, listener);
      return () => {
        for (const [signal, listener] of listeners) process.off(signal, listener);
      };
    },
  };
}

/**
 * Ctrl-C, and the signals CI cancellation, `timeout`, `docker stop` and a closed terminal send
 * (SIGTERM, SIGHUP): a deployment, a verify run and a restore stop the same clean way on each of them.
 */
export const terminationInterrupts: Interrupts = listen(["SIGINT", "SIGTERM", "SIGHUP"]);

/** How a message names the interrupt: `Ctrl-C` for SIGINT (or none), else the signal. */
export function interruptName(signal?: InterruptSignal): string {
  return signal === undefined || signal === "SIGINT" ? "Ctrl-C" : signal;
}
