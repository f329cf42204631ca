import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** The console as served: its page, its one script and its stylesheet, and a tag for caches. */
export interface ConsoleAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
  /** A hash of the three, for ETags: a new build is never served from a stale cache. */
  readonly etag: string;
}

const webDir = resolve(import.meta.dir, "../../web");

/** The console's entry point: everything it needs is bundled from here (node_modules included; no CDN). */
export const consoleEntry = resolve(webDir, "src/main.tsx");

/** The same bundler settings at build time (CLI, in the macro) and from source (Bun.build). */
export const bundleCliFlags = ["--target=browser", "--format=esm", "--minify"] as const;

/** Production JSX and libraries: without it Bun emits preact's development JSX calls (source locations and all). */
export const productionEnv = { NODE_ENV: "production" } as const;

/** Joins the bundled script with the page and stylesheet from web/. */
export function consoleAssetsWith(js: string): ConsoleAssets {
  const html = readFileSync(resolve(webDir, "index.html"), "utf8");
  const css = readFileSync(resolve(webDir, "console.css"), "utf8");
  const etag = `"${new Bun.CryptoHasher("sha256").update(html).update(js).update(css).digest("hex").slice(0, 32)}"`;
  return { html, js, css, etag };
}
