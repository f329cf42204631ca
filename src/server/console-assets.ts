import { consoleAssets } from "./console-bundle-macro.ts" with { type: "macro" };
import type { ConsoleAssets } from "./console-sources.ts";

/**
 * The console's bundle, fixed when the node is bundled (see the macro).
 * Imported only by a bundled node: one running from source builds the
 * console itself (console-source-build.ts) rather than run the macro, which
 * would block the event loop — and the node's Raft ticks — while it bundles.
 */
export const assets: ConsoleAssets = consoleAssets();
