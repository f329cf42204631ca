import { consoleAssets, type ConsoleAssets } from "./console-bundle-macro.ts" with { type: "macro" };

/**
 * The console's bundle, fixed when this module is bundled or transpiled (see
 * the macro). Imported lazily by the console route, so a node that never
 * serves the page never pays for it in development and tests.
 */
export const assets: ConsoleAssets = consoleAssets();
