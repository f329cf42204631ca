import { createClient } from "@connectrpc/connect";
import { EngineError } from "../engine/engine-error.ts";
import type { KvRaftEngine } from "../engine/engine-launcher.ts";
import { RaftNotLeaderError } from "../engine/not-leader-error.ts";
import { Cluster } from "../gen/raftkv/v1/cluster_pb.ts";
import { errorMessage } from "../log/error-message.ts";
import type { Logger } from "../log/logger.ts";
import type { MemberCredentials } from "../security/node-security.ts";
import { memberTransport } from "./cluster-join.ts";

function hasOtherVoters(engine: KvRaftEngine): boolean {
  return engine.membership().members.some((m) => m.suffrage === "voter" && m.id !== engine.id);
}

/**
 * A leader that stops hands leadership to another voter first, so the
 * cluster does not wait out an election timeout; after boundMs it stops
 * anyway (the others elect a leader as after a crash).
 */
export async function handOverLeadership(engine: KvRaftEngine, boundMs: number, logger: Logger): Promise<void> {
  if (engine.status().role !== "leader" || !hasOtherVoters(engine)) return;
  try {
    const successor = await engine.admin.transferLeadership(undefined, AbortSignal.timeout(boundMs));
    logger.info("leadership handed over before shutdown", { id: engine.id, newLeader: successor });
  } catch (error) {
    logger.warn("leadership transfer before shutdown failed; stopping anyway", { id: engine.id, error: errorMessage(error) });
  }
}

/**
 * `serve --leave-on-shutdown`: removes this node from the configuration
 * (through the leader; a leader hands over first) before it stops. After
 * boundMs it stops anyway and says so: the cluster still lists it.
 */
export async function leaveCluster(
  engine: KvRaftEngine,
  boundMs: number,
  logger: Logger,
  credentials: MemberCredentials = { tls: undefined, token: undefined },
): Promise<void> {
  const deadline = performance.now() + boundMs;
  let lastError = "";
  while (performance.now() < deadline) {
    if (!engine.membership().members.some((m) => m.id === engine.id)) {
      logger.info("left the cluster", { id: engine.id });
      return;
    }
    const remaining = Math.max(1, Math.ceil(deadline - performance.now()));
    try {
      const done = await engine.admin.removeServer(engine.id, 0, AbortSignal.timeout(remaining));
      logger.info("left the cluster", { id: engine.id, configurationIndex: done.index });
      return;
    } catch (error) {
      lastError = errorMessage(error);
      if (error instanceof EngineError && error.reason === "invalid") break; // e.g. the last voter: it cannot leave
      if (!(error instanceof RaftNotLeaderError) || error.proposed) {
        await Bun.sleep(100);
        continue;
      }
    }
    const address = engine.leaderClientAddress();
    if (address === "") {
      await Bun.sleep(100);
      continue;
    }
    try {
      const cluster = createClient(Cluster, memberTransport(address, credentials));
      // The leader answers once the removal committed (this node may never hear of it: it is no longer replicated to).
      const done = await cluster.removeServer({ id: engine.id }, { timeoutMs: remaining });
      logger.info("left the cluster", { id: engine.id, configurationIndex: Number(done.index), via: address });
      return;
    } catch (error) {
      lastError = `${address}: ${errorMessage(error)}`;
      await Bun.sleep(100);
    }
  }
  logger.warn("could not leave the cluster before shutdown; it still lists this node", { id: engine.id, error: lastError });
}
