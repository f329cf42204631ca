import type { SeededRandom } from "../../src/random/seeded-random.ts";
import type { RaftNetwork } from "./raft-network.ts";

export type PartitionShape = "isolate-leader" | "isolate-follower" | "majority-minority" | "bridge" | "deaf-leader" | "one-way";

export interface LinkFaultTiming {
  /** How long a partition or a degraded link lasts, ms. */
  readonly durationMs: readonly [number, number];
  /** Added one-way delay, ms. */
  readonly delayMs: readonly [number, number];
  /** Chance per chunk that a connection is lost with it, in percent. */
  readonly lossPercent: readonly [number, number];
}

/**
 * A network partition of a seeded shape, held for a while and healed:
 * - isolate-leader / isolate-follower: one node cut off both ways;
 * - majority-minority: a random split, the largest minority on one side;
 * - bridge: two halves that cannot talk, and one node that talks to both
 *   (Jepsen's bridge; with 3 nodes a chain a-b-c);
 * - deaf-leader: the leader hears nobody but is heard by all (with
 *   check-quorum it must step down; its heartbeats keep arriving);
 * - one-way: a random directed link a→b is cut, b→a still flows.
 */
export async function partition(
  network: RaftNetwork,
  ids: readonly string[],
  leader: string | undefined,
  timing: LinkFaultTiming,
  prng: SeededRandom,
): Promise<{ readonly nodes: readonly string[]; readonly detail: string }> {
  const followers = ids.filter((id) => id !== leader);
  const shapes: PartitionShape[] = ["isolate-follower", "majority-minority", "bridge", "one-way"];
  // The leader's own isolation is the interesting one: drawn twice as often when there is a leader.
  if (leader !== undefined) shapes.push("isolate-leader", "isolate-leader", "deaf-leader");
  const shape = prng.pick(shapes);
  const shuffled = prng.shuffled(ids);
  const half = Math.floor((ids.length - 1) / 2);
  let touched: string[];
  let layout: string;
  switch (shape) {
    case "isolate-leader":
    case "isolate-follower": {
      const lone = shape === "isolate-leader" && leader !== undefined ? leader : prng.pick(followers);
      const rest = ids.filter((id) => id !== lone);
      network.partition([[lone], rest]);
      touched = [lone];
      layout = `${lone} | ${rest.join(",")}`;
      break;
    }
    case "majority-minority": {
      const minority = shuffled.slice(0, half);
      const majority = shuffled.slice(half);
      network.partition([minority, majority]);
      touched = minority;
      layout = `${minority.join(",")} | ${majority.join(",")}`;
      break;
    }
    case "bridge": {
      const [bridge, ...others] = shuffled;
      if (bridge === undefined) throw new Error("bridge partition of an empty cluster");
      const left = others.slice(0, Math.floor(others.length / 2));
      const right = others.slice(Math.floor(others.length / 2));
      network.partition([
        [...left, bridge],
        [bridge, ...right],
      ]);
      touched = [bridge];
      layout = `${left.join(",")} <-${bridge}-> ${right.join(",")}`;
      break;
    }
    case "deaf-leader": {
      const deaf = leader ?? prng.pick(ids);
      network.deafen([deaf]);
      touched = [deaf];
      layout = `${deaf} hears nobody`;
      break;
    }
    case "one-way": {
      const [from, to] = shuffled;
      if (from === undefined || to === undefined) throw new Error("one-way cut needs two nodes");
      network.cutLinks([{ from, to }]);
      touched = [from, to];
      layout = `${from} -x-> ${to}`;
      break;
    }
    default: {
      const unreachable: never = shape;
      throw new Error(`unknown partition shape ${String(unreachable)}`);
    }
  }
  const duration = between(prng, timing.durationMs);
  await Bun.sleep(duration);
  network.heal();
  return { nodes: touched, detail: `${shape} ${layout} for ${duration} ms${leader === undefined ? " (no leader known)" : `, leader was ${leader}`}` };
}

/** Slows every link into one node, or into all of them. */
export async function delayLinks(
  network: RaftNetwork,
  ids: readonly string[],
  timing: LinkFaultTiming,
  prng: SeededRandom,
): Promise<{ readonly nodes: readonly string[]; readonly detail: string }> {
  const targets = prng.next() < 0.3 ? [...ids] : [prng.pick(ids)];
  const delay = between(prng, timing.delayMs);
  const duration = between(prng, timing.durationMs);
  network.delayInbound(targets, delay);
  await Bun.sleep(duration);
  network.heal();
  return { nodes: targets, detail: `+${delay} ms into ${targets.join(",")} for ${duration} ms` };
}

/** Makes links into one node, or into all of them, lose connections (and whatever was in flight on them). */
export async function loseOnLinks(
  network: RaftNetwork,
  ids: readonly string[],
  timing: LinkFaultTiming,
  prng: SeededRandom,
): Promise<{ readonly nodes: readonly string[]; readonly detail: string }> {
  const targets = prng.next() < 0.3 ? [...ids] : [prng.pick(ids)];
  const percent = between(prng, timing.lossPercent);
  const duration = between(prng, timing.durationMs);
  const lossRandom = prng.fork();
  network.loseInbound(targets, percent / 100, () => lossRandom.next());
  await Bun.sleep(duration);
  network.heal();
  return { nodes: targets, detail: `${percent}% of chunks into ${targets.join(",")} lose their connection, for ${duration} ms` };
}

function between(prng: SeededRandom, range: readonly [number, number]): number {
  return prng.between(range[0], range[1]);
}
