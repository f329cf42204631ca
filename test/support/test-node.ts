import { Logger } from "../../src/log/logger.ts";
import type { NodeConfig } from "../../src/node/node-config.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { defaultLimits, type Limits } from "../../src/service/limits.ts";

// Still re-exported because test/engine/raft-test-cluster.ts imports them from
// here and is being changed on another branch; everything else imports ./temp-dir.ts.
export { removeDir, tempDir } from "./temp-dir.ts";

export function testConfig(dataDir: string, limits: Partial<Limits> = {}): NodeConfig {
  return {
    id: "test1",
    dataDir,
    listen: "127.0.0.1:0",
    raftListen: "127.0.0.1:0",
    advertiseClient: "127.0.0.1:0",
    advertiseRaft: "127.0.0.1:0",
    limits: { ...defaultLimits, ...limits },
    shutdownGraceMs: 2000,
    logLevel: "error",
    logFormat: "text",
  };
}

/** A node in this process on an ephemeral port, with real SQLite files. */
export async function startTestNode(dataDir: string, limits: Partial<Limits> = {}): Promise<{ node: RaftkvNode; endpoint: string }> {
  const node = await RaftkvNode.start(testConfig(dataDir, limits), Logger.silent());
  return { node, endpoint: `127.0.0.1:${node.clientPort}` };
}

/** Like startTestNode, with any config fields replaced (security, ids) and the node's log lines sent to `logger`. */
export async function startTestNodeWith(
  dataDir: string,
  overrides: Partial<NodeConfig>,
  logger: Logger = Logger.silent(),
): Promise<{ node: RaftkvNode; endpoint: string }> {
  const node = await RaftkvNode.start({ ...testConfig(dataDir), ...overrides }, logger);
  return { node, endpoint: `127.0.0.1:${node.clientPort}` };
}

/** A logger whose JSON lines are kept in `lines` (parsed), for tests that assert on what the node said. */
export function capturingLogger(level: "debug" | "info" | "warn" = "info"): { readonly logger: Logger; readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger(level, "json", {}, (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    // Bounded: a test that floods the log keeps the newest half.
    if (lines.length > 10_000) lines.splice(0, 5_000);
  });
  return { logger, lines };
}
