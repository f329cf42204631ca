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

/**
 * A Bun macro (imported `with { type: "macro" }`): it runs when the module
 * that calls it is bundled — by `bun build --compile`, so the console ends up
 * inside the one executable as string literals — or transpiled — by `bun
 * src/cli/main.ts serve`, so development needs no separate build step.
 *
 * Bun.build cannot be called from inside a macro while the bundler waits on
 * it, so the console is bundled by a child `bun build` (Bun's own advice).
 * Everything is bundled from node_modules: no CDN, works offline.
 */
export function consoleAssets(): ConsoleAssets {
  const entry = resolve(webDir, "src/main.tsx");
  const built = Bun.spawnSync([process.execPath, "build", entry, "--target=browser", "--format=esm", "--minify"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (built.exitCode !== 0) {
    throw new Error(`bundling the console (${entry}) failed with exit code ${built.exitCode}: ${built.stderr.toString()}`);
  }
  const js = built.stdout.toString();
  const html = readFileSync(resolve(webDir, "index.html"), "utf8");
  const css = readFileSync(resolve(webDir, "console.css"), "utf8");
  const etag = `"${new Bun.CryptoHasher("sha256").update(html).update(js).update(css).digest("hex").slice(0, 32)}"`;
  return { html, js, css, etag };
}
