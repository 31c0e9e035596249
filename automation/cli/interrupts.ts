/** Ctrl-C as a dependency, so that a test can press it with a function call. */
export interface Interrupts {
  /** Calls `handler` on each Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
}

export const processInterrupts: Interrupts = {
  onInterrupt(handler) {
    process.on("SIGINT", handler);
    return () => process.off("SIGINT", handler);
  },
};
