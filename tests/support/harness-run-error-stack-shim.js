// Preloaded (`--require`) into a program run by tests/support/pulumi-harness.ts when a test asks for it:
// a RunError's stack becomes its message alone. Why, and why it changes nothing the user sees:
// RUN_ERROR_STACK_SHIM in pulumi-harness.ts. Listeners are prepended so they run before the SDK's.
function trimRunErrorStack(error) {
  if (
    error !== null &&
    typeof error === "object" &&
    error.__pulumiRunError === true &&
    typeof error.message === "string"
  ) {
    error.stack = `Error: ${error.message}`;
  }
}
process.prependListener("unhandledRejection", trimRunErrorStack);
process.prependListener("uncaughtException", trimRunErrorStack);
