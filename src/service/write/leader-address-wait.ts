import type { HandlerContext } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.ts";
import { RaftNotLeaderError } from "../../engine/not-leader-error.ts";

/** How long a follower waits for its leader's client address, at most (and at most half the call's own time left). */
const MAX_ADDRESS_WAIT_MS = 5_000;
const ADDRESS_POLL_MS = 25;

/**
 * A refusal that names a leader whose client address this node does not know
 * yet (a cluster that just started: members record their addresses in the
 * configuration within a few ticks of the first election) is worth waiting
 * for rather than failing the call: the write never entered a log, so sending
 * it a little later is as safe as sending it now. Resolves with a refusal
 * that carries the address, or with the one given once the wait is over.
 */
export async function withLeaderAddress(
  engine: Pick<Engine, "status" | "leaderClientAddress">,
  refusal: RaftNotLeaderError,
  context: HandlerContext,
): Promise<RaftNotLeaderError> {
  if (refusal.leaderId === "" || refusal.leaderClientAddress !== "" || engine.leaderClientAddress === undefined) return refusal;
  const budget = Math.min(MAX_ADDRESS_WAIT_MS, (context.timeoutMs() ?? MAX_ADDRESS_WAIT_MS * 2) / 2);
  const deadline = performance.now() + budget;
  while (performance.now() < deadline && !context.signal.aborted) {
    await Bun.sleep(ADDRESS_POLL_MS);
    const leaderId = engine.status().leaderId;
    const address = engine.leaderClientAddress();
    // Another leader since: the write was never proposed anywhere, so it may go to the new one.
    if (leaderId !== "" && address !== "") return new RaftNotLeaderError(refusal.message, leaderId, address, false);
  }
  return refusal;
}
