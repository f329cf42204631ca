import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

// Debian's chromium, as CI installs it (apt-get install chromium).
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Screenshots of each view land here (git-ignored): test artifacts, not committed. */
export const artifactsDir = process.env.RAFTKV_TEST_ARTIFACTS ?? resolve(import.meta.dir, "../artifacts");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * A page that records every console error, page error and failed request,
 * and refuses any request that leaves loopback: the console must work
 * offline (everything bundled, no CDN), so such a request is a failure.
 */
export class WatchedPage {
  readonly errors: string[] = [];
  readonly offLoopback: string[] = [];

  private constructor(readonly page: Page) {}

  static async open(browser: Browser, viewport = { width: 1440, height: 900 }): Promise<WatchedPage> {
    const page = await browser.newPage({ viewport, acceptDownloads: true });
    const watched = new WatchedPage(page);
    page.on("console", (message) => {
      if (message.type() === "error") watched.errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => watched.errors.push(`pageerror: ${error.message}`));
    await page.route("**/*", async (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1" || url.hostname === "localhost") {
        await route.continue();
        return;
      }
      watched.offLoopback.push(url.href);
      await route.abort();
    });
    return watched;
  }

  /** Saves a full-page PNG of what the page shows now as `<name>.png` in the artifacts dir; returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(artifactsDir, { recursive: true });
    const path = resolve(artifactsDir, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
