import type { Logger } from "../log/logger.ts";
import type { Member } from "../raft/membership.ts";
import type { RawNode } from "../raft/raw-node.ts";
import type { PeerTransport } from "../transport/peer-transport.ts";
import { encodePeerPayload } from "./peer-message-codec.ts";

/** A member to dial before the log says who the members are. */
export interface SeedPeer {
  readonly id: string;
  readonly raftAddress: string;
}

/**
 * Keeps the transport's peers and the replicated configuration's addresses
 * in step. Both addresses of every member live in the configuration, so any
 * node can forward to the leader and dial every member: this node dials
 * what the configuration says, and makes sure the configuration says where
 * this node actually is.
 */
export class RaftMemberAddresses {
  private syncedMembershipIndex = -1;
  private readonly seeds: ReadonlyMap<string, string>;

  constructor(
    private readonly selfId: string,
    private readonly raw: RawNode,
    private readonly transport: PeerTransport,
    /** Undefined: keep the raft address the configuration records. */
    private readonly raftAddress: string | undefined,
    public clientAddress: string,
    seeds: readonly SeedPeer[],
    private readonly onChangeProposed: () => void,
    private readonly logger: Logger | undefined,
  ) {
    this.seeds = new Map(seeds.filter((p) => p.id !== selfId).map((p) => [p.id, p.raftAddress]));
  }

  memberOf(id: string): Member | undefined {
    if (id === "") return undefined;
    return this.raw.membership().members.find((m) => m.id === id);
  }

  /** The raft address this node advertises ("" before it knows one). */
  advertisedRaftAddress(): string {
    return this.raftAddress ?? this.memberOf(this.selfId)?.raftAddress ?? "";
  }

  /**
   * Dials every member at the raft address the configuration gives; until
   * the configuration lists this node, also the seed peers (a joining node
   * must answer a leader its log does not know yet).
   */
  syncPeers(): void {
    const membership = this.raw.membership();
    if (membership.index === this.syncedMembershipIndex) return;
    this.syncedMembershipIndex = membership.index;
    const peers = new Map<string, string>();
    if (!membership.members.some((m) => m.id === this.selfId)) for (const [id, address] of this.seeds) peers.set(id, address);
    for (const m of membership.members) if (m.id !== this.selfId) peers.set(m.id, m.raftAddress);
    for (const [id, address] of peers) this.transport.setPeer(id, address);
    for (const id of Object.keys(this.transport.stats().peers)) {
      if (!peers.has(id)) this.transport.removePeer(id);
    }
  }

  /**
   * When the configuration does not have this node's current addresses,
   * tells every member (the leader records them; a leader records its own).
   * Every member, not just the known leader: after an address change the
   * leader still dials the old address, so this node may not know who leads,
   * but it can dial the leader. Called repeatedly until it sticks, since a
   * change can be refused while another is pending.
   */
  advertise(): void {
    const self = this.memberOf(this.selfId);
    if (self === undefined) return;
    const raftAddress = this.advertisedRaftAddress();
    if (self.clientAddress === this.clientAddress && self.raftAddress === raftAddress) return;
    if (this.raw.role() === "leader") {
      this.record(this.selfId, this.clientAddress, raftAddress);
      return;
    }
    const note = encodePeerPayload({ kind: "clientAddress", from: this.selfId, clientAddress: this.clientAddress, raftAddress });
    for (const m of this.raw.membership().members) if (m.id !== this.selfId) this.transport.send(m.id, note);
  }

  /** On the leader: a member's addresses go into the configuration (an empty raft address keeps the recorded one). */
  record(id: string, clientAddress: string, raftAddress: string | undefined): void {
    const member = this.memberOf(id);
    if (this.raw.role() !== "leader" || member === undefined) return;
    const newRaftAddress = raftAddress === undefined || raftAddress === "" ? member.raftAddress : raftAddress;
    if (member.clientAddress === clientAddress && member.raftAddress === newRaftAddress) return;
    const change =
      member.suffrage === "voter"
        ? { kind: "addVoter" as const, id, raftAddress: newRaftAddress, clientAddress }
        : { kind: "addNonvoter" as const, id, raftAddress: newRaftAddress, clientAddress };
    const result = this.raw.changeMembership(change);
    if (!result.ok) this.logger?.debug("member address update deferred", { member: id, reason: result.refusal.message });
    this.onChangeProposed();
  }
}
