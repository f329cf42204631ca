import { type ConsoleAssets, consoleAssetsWith, consoleEntry, productionEnv } from "./console-sources.ts";

/**
 * Bundles the console for a node that runs from source (`bun
 * src/cli/main.ts serve`), with the settings the build uses. Bun.build works
 * off the event loop, so a node keeps serving (and ticking) meanwhile.
 */
export async function buildConsoleFromSource(): Promise<ConsoleAssets> {
  const built = await Bun.build({
    entrypoints: [consoleEntry],
    target: "browser",
    format: "esm",
    minify: true,
    define: { "process.env.NODE_ENV": JSON.stringify(productionEnv.NODE_ENV) },
  });
  const output = built.outputs.find((o) => o.kind === "entry-point");
  if (!built.success || output === undefined) {
    throw new Error(`bundling the console (${consoleEntry}) failed: ${built.logs.map((log) => String(log)).join("; ")}`);
  }
  return consoleAssetsWith(await output.text());
}
