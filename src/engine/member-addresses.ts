import type { Logger } from "../log/logger.ts";
import type { Member } from "../raft/membership.ts";
import { incarnationOf } from "../raft/membership-codec.ts";
import type { RawNode } from "../raft/raw-node.ts";
import { encodePeerPayload } from "./peer-message-codec.ts";
import type { PeerNetwork } from "./peer-network.ts";

/** How long a peer outside the configuration stays dialable after it last sent something. */
const ANSWER_WINDOW_MS = 30_000;

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
  private synced = "";
  private readonly seeds: ReadonlyMap<string, string>;
  /** Raft addresses peers gave for themselves when they connected, and when they last sent something. */
  private readonly learned = new Map<string, { address: string; heardAtMs: number }>();

  constructor(
    private readonly selfId: string,
    private readonly raw: RawNode,
    private readonly transport: PeerNetwork,
    /** Undefined: keep the raft address the configuration records. */
    private readonly raftAddress: string | undefined,
    public clientAddress: string,
    /** This node's data dir incarnation, filled into the configuration where it is not recorded. */
    private readonly incarnation: string,
    seeds: readonly SeedPeer[],
    private readonly onChangeProposed: () => void,
    private readonly logger: Logger | undefined,
    private readonly now: () => number,
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
   * A peer sent something and (in its connection's hello) said where it
   * listens. One the configuration this node knows does not list (a leader
   * added since, a member re-added while this node was away) becomes
   * dialable at once, so this node can answer it: an answer is how a stale
   * leader learns of a newer term, and how a leader learns what this node
   * lacks. It stays dialable while it keeps talking (see syncPeers).
   */
  heard(id: string, address: string): void {
    if (address === "" || id === this.selfId) return;
    const known = this.learned.get(id);
    this.learned.set(id, { address, heardAtMs: this.now() });
    if (known?.address !== address && this.memberOf(id) === undefined && !this.seeds.has(id)) {
      this.transport.setPeer(id, address);
      this.synced = "";
    }
  }

  /**
   * Dials every member at the raft address the configuration gives; until
   * the configuration lists this node, also the seed peers (a joining node
   * must answer a leader its log does not know yet); and any peer outside
   * the configuration that talked to it recently (see heard()), also when
   * the configuration this node knows predates it (a node restored from an
   * old snapshot, or back from a long absence, must answer a leader added
   * since, or it could never catch up to learn of it). Called after every
   * Ready and every tick: peers that fell silent are let go.
   */
  syncPeers(): void {
    const membership = this.raw.membership();
    const now = this.now();
    const talking = [...this.learned].filter(([, peer]) => now - peer.heardAtMs <= ANSWER_WINDOW_MS).map(([id]) => id);
    const key = `${membership.index}/${talking.join(",")}`;
    if (key === this.synced) return;
    this.synced = key;
    const peers = new Map<string, string>();
    if (!membership.members.some((m) => m.id === this.selfId)) for (const [id, address] of this.seeds) peers.set(id, address);
    for (const id of talking) {
      const peer = this.learned.get(id);
      if (peer !== undefined) peers.set(id, peer.address);
    }
    for (const m of membership.members) if (m.id !== this.selfId) peers.set(m.id, m.raftAddress);
    for (const [id, address] of peers) this.transport.setPeer(id, address);
    for (const id of this.transport.peerIds()) {
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
    // A configuration that records another incarnation under our id is not ours to change: the
    // node that asks to join under it gets it replaced (see planChange).
    const recorded = incarnationOf(self);
    if (recorded !== "" && recorded !== this.incarnation) return;
    const incarnationKnown = recorded === this.incarnation || this.incarnation === "";
    if (self.clientAddress === this.clientAddress && self.raftAddress === raftAddress && incarnationKnown) return;
    if (this.raw.role() === "leader") {
      this.record(this.selfId, this.clientAddress, raftAddress, this.incarnation);
      return;
    }
    const note = encodePeerPayload({
      kind: "clientAddress",
      from: this.selfId,
      clientAddress: this.clientAddress,
      raftAddress,
      incarnation: this.incarnation,
    });
    for (const m of this.raw.membership().members) if (m.id !== this.selfId) this.transport.send(m.id, note);
  }

  /**
   * On the leader: a member's addresses (an empty raft address keeps the
   * recorded one) and, where none is recorded, its incarnation go into the
   * configuration. The caller vouches that `incarnation` is the sender's own
   * (the connection it came on said so).
   */
  record(id: string, clientAddress: string, raftAddress: string | undefined, incarnation: string): void {
    const member = this.memberOf(id);
    if (this.raw.role() !== "leader" || member === undefined) return;
    const newRaftAddress = raftAddress === undefined || raftAddress === "" ? member.raftAddress : raftAddress;
    const recorded = incarnationOf(member);
    if (recorded !== "" && incarnation !== "" && recorded !== incarnation) return;
    const fillsIncarnation = recorded === "" && incarnation !== "";
    if (member.clientAddress === clientAddress && member.raftAddress === newRaftAddress && !fillsIncarnation) return;
    const result = this.raw.changeMembership({ kind: "updateMember", id, raftAddress: newRaftAddress, clientAddress, incarnation });
    if (!result.ok) this.logger?.debug("member address update deferred", { member: id, reason: result.refusal.message });
    this.onChangeProposed();
  }
}
