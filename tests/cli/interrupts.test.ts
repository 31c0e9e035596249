import { expect } from "chai";
import { interruptName, type InterruptSignal, terminationInterrupts } from "../../automation/cli/interrupts";
import { defaultRestoreDeps } from "../../automation/cli/commands/restore";
import { defaultVerifyDeps } from "../../automation/cli/commands/verify";

describe("interrupts", () => {
  it("hears Ctrl-C, SIGTERM and SIGHUP, and stops listening when asked", () => {
    const heard: (InterruptSignal | undefined)[] = [];
    const before = process.listenerCount("SIGTERM");
    const stop = terminationInterrupts.onInterrupt((signal) => heard.push(signal));
    try {
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.emit(signal, signal);
    } finally {
      stop();
    }
    expect(heard).to.deep.equal(["SIGINT", "SIGTERM", "SIGHUP"]);
    expect(process.listenerCount("SIGTERM")).to.equal(before);
  });

  it("verify and restore stop on the same signals as a deployment (CI cancellation, timeout, docker stop)", () => {
    expect(defaultVerifyDeps.interrupts).to.equal(terminationInterrupts);
    expect(defaultRestoreDeps.interrupts).to.equal(terminationInterrupts);
  });

  it("names the interrupt in messages", () => {
    expect(interruptName()).to.equal("Ctrl-C");
    expect(interruptName("SIGINT")).to.equal("Ctrl-C");
    expect(interruptName("SIGTERM")).to.equal("SIGTERM");
  });
});
