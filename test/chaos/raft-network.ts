import type { Cluster } from "./cluster.ts";

/**
 * The Raft links of a cluster, faulted at the proxy in front of each node's
 * Raft port. A proxy carries every connection INTO its node and knows each
 * connection's sender from the transport hello, so any directed link a→b
 * can be cut (at b's proxy, naming a), and a node's inbound links can be
 * slowed or made lossy.
 */
export class RaftNetwork {
  constructor(private readonly cluster: Cluster) {}

  /** Directed cuts: nothing `from` sends reaches `to` (open connections stay open and swallow bytes, as in a real partition). */
  cutLinks(links: readonly { readonly from: string; readonly to: string }[]): void {
    for (const { from, to } of links) this.cluster.member(to).proxy.blockSenders([from], "blackhole");
  }

  /** Nodes in different groups cannot talk, both ways; a node in two groups (a bridge) talks to both. */
  partition(groups: readonly (readonly string[])[]): void {
    const ids = this.cluster.nodes.map((n) => n.id);
    const connected = (a: string, b: string): boolean => groups.some((g) => g.includes(a) && g.includes(b));
    const links = ids.flatMap((from) => ids.filter((to) => to !== from && !connected(from, to)).map((to) => ({ from, to })));
    this.cutLinks(links);
  }

  /** Every byte sent to these nodes is swallowed: they hear nobody while everybody still hears them. */
  deafen(ids: readonly string[]): void {
    for (const id of ids) this.cluster.member(id).proxy.cut("blackhole");
  }

  /** Every chunk sent to these nodes arrives `ms` later, in order. */
  delayInbound(ids: readonly string[], ms: number): void {
    for (const id of ids) this.cluster.member(id).proxy.setDelay(ms);
  }

  /** Each chunk sent to these nodes is lost with probability p, resetting its connection. */
  loseInbound(ids: readonly string[], probability: number, random: () => number): void {
    for (const id of ids) this.cluster.member(id).proxy.setDropRate(probability, random);
  }

  /** Every link flows again, without delay or loss. */
  heal(): void {
    for (const { proxy } of this.cluster.memberList) {
      proxy.heal();
      proxy.setDelay(0);
      proxy.setDropRate(0);
    }
  }
}
