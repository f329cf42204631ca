import { resolve } from "node:path";

/** The page entry, bundled for the browser: fails if anything node-only is reachable from the client library. */
export async function bundlePage(): Promise<string> {
  const built = await Bun.build({ entrypoints: [resolve(import.meta.dir, "page-entry.ts")], target: "browser", format: "esm" });
  if (!built.success) throw new Error(`bundling the page failed: ${built.logs.map((l) => l.message).join("; ")}`);
  const [output] = built.outputs;
  if (output === undefined) throw new Error("bundling the page produced nothing");
  return output.text();
}
