import type { PluginSpec } from "./engine";

/**
 * The provider plugins the program needs, at the versions package-lock.json pins: a Pulumi provider's npm
 * package and its plugin binary share one version (`@pulumi/aws` 7.48.0 runs `pulumi-resource-aws` v7.48.0).
 * Read from the installed package, which `npm ci` took from the lockfile.
 */
export const PROVIDER_PACKAGES: Readonly<Record<string, string>> = { aws: "@pulumi/aws" };

export function requiredPlugins(): PluginSpec[] {
  return Object.entries(PROVIDER_PACKAGES).map(([name, pkg]) => {
    const { version } = require(`${pkg}/package.json`) as { version: string };
    return { name, version: `v${version}` };
  });
}

export function formatPlugins(plugins: readonly PluginSpec[]): string {
  return plugins.map((plugin) => `${plugin.name} ${plugin.version}`).join(", ");
}
