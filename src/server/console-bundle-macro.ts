import { bundleCliFlags, type ConsoleAssets, consoleAssetsWith, consoleEntry, productionEnv } from "./console-sources.ts";

export type { ConsoleAssets } from "./console-sources.ts";

/**
 * A Bun macro (imported `with { type: "macro" }` by console-assets.ts): it
 * runs while `bun build --compile` bundles the node, so the console ends up
 * inside the one executable as string literals.
 *
 * Bun.build cannot be called from inside a macro while the bundler waits on
 * it, so the console is bundled by a child `bun build` (Bun's own advice).
 */
export function consoleAssets(): ConsoleAssets {
  const built = Bun.spawnSync([process.execPath, "build", consoleEntry, ...bundleCliFlags], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...productionEnv },
  });
  if (built.exitCode !== 0) {
    throw new Error(`bundling the console (${consoleEntry}) failed with exit code ${built.exitCode}: ${built.stderr.toString()}`);
  }
  return consoleAssetsWith(built.stdout.toString());
}
