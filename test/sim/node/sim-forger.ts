import { encodePeerPayload, encodeRaftMessage } from "../../../src/engine/peer-message-codec.ts";
import { maxTermStep } from "../../../src/engine/peer-message-guard.ts";
import type { PeerSender } from "../../../src/engine/peer-network.ts";
import type { Entry } from "../../../src/raft/entry.ts";
import type { Message } from "../../../src/raft/message.ts";
import { maxTerm } from "../../../src/raft/term-limit.ts";
import type { Prng } from "../prng.ts";
import { encodeRegisterWrite } from "./register-machine.ts";
import type { SimHost } from "./sim-host.ts";
import type { SimWire } from "./sim-wire.ts";

const forgeries = [
  "huge-term",
  "forged-ack",
  "forged-heartbeat-ack",
  "append-from-non-leader",
  "heartbeat-from-non-leader",
  "timeout-from-non-leader",
  "read-index-from-non-leader",
  "inconsistent-append",
  "stranger",
  "claims-to-be-target",
  "sender-mismatch",
  "bare-snapshot",
  "bad-snapshot-chunk",
  "garbage",
] as const;

type Forgery = (typeof forgeries)[number];

/** A stranger's id: never a member. */
const stranger = "mallory";

/**
 * A hostile party on the simulated network: it watches a node's state and
 * hands it payloads no honest member sends (huge terms, acknowledgements of
 * entries never sent, appends from a node that is not the leader it
 * follows, inconsistent indexes, garbage), under members' names and its
 * own. Each is built when the node reads it, so it is wrong for the state
 * the node is in then; the node must drop every one (counted, or the run
 * fails) and Raft's invariants must hold throughout. Forgeries an honest
 * member could have sent are out of scope (mutual TLS keeps them out).
 */
export class SimForger {
  /** Forged payloads read by a live node, per kind. */
  readonly delivered = new Map<Forgery, number>();

  constructor(
    private readonly wire: SimWire,
    private readonly hosts: readonly SimHost[],
    private readonly rng: Prng,
    private readonly fail: (message: string) => void,
    private readonly trace: (line: () => string) => void,
  ) {}

  inject(): void {
    const live = this.hosts.filter((h) => h.up && h.clock?.paused !== true);
    if (live.length === 0) return;
    const target = this.rng.pick(live);
    const forgery = this.rng.pick(forgeries);
    const rng = this.rng.fork();
    let claimed = "";
    this.wire.forge(
      target.id,
      () => {
        const sender = this.claimedSender(target, forgery, rng);
        const payload = this.build(forgery, target, sender.id, rng);
        if (payload === undefined) return undefined;
        claimed = sender.id;
        this.trace(() => `forger: ${forgery} to ${target.id} as ${sender.id}`);
        return { sender, payload };
      },
      (dropped) => {
        this.delivered.set(forgery, (this.delivered.get(forgery) ?? 0) + 1);
        if (!dropped) this.fail(`${target.id} did not drop a forged ${forgery} payload sent as ${claimed}`);
      },
    );
  }

  private claimedSender(target: SimHost, forgery: Forgery, rng: Prng): PeerSender {
    const status = target.engine?.status();
    const as = (id: string): PeerSender => {
      const host = this.hosts.find((h) => h.id === id);
      // A forger that knows a member's incarnation gets past the incarnation check: the guard must stop it.
      return host === undefined ? { id, incarnation: "", address: `raft-${id}` } : { id, incarnation: host.incarnation, address: host.raftAddress };
    };
    switch (forgery) {
      case "claims-to-be-target":
        return as(target.id);
      case "stranger":
        return as(stranger);
      case "inconsistent-append":
        // The very leader the target follows: only the message's shape gives it away.
        return as(status?.leaderId || stranger);
      default: {
        const others = this.hosts.filter((h) => h !== target);
        return others.length === 0 || rng.chance(0.1) ? as(stranger) : as(rng.pick(others).id);
      }
    }
  }

  private build(forgery: Forgery, target: SimHost, from: string, rng: Prng): Uint8Array | undefined {
    const engine = target.engine;
    if (engine === undefined) return undefined;
    const status = engine.status();
    const stats = engine.stats();
    const to = target.id;
    const term = status.term;
    const last = status.lastLogIndex;
    const lastTerm = stats.lastLogTerm;
    const follows = status.role !== "leader" && status.leaderId !== "" ? status.leaderId : undefined;
    const raft = (m: Message): Uint8Array => encodeRaftMessage(m);
    switch (forgery) {
      case "huge-term": {
        const huge = rng.pick([2 ** 53 - 1, maxTerm + 1, term + maxTermStep + 1 + rng.int(1000)]);
        const kind = rng.pick(["heartbeat", "append", "requestVote", "voteResponse", "appendResponse", "timeoutNow"] as const);
        switch (kind) {
          case "heartbeat":
            return raft({ kind, from, to, term: huge, commit: 0, round: 1 });
          case "append":
            return raft({ kind, from, to, term: huge, prevIndex: last, prevTerm: lastTerm, entries: [], commit: 0 });
          case "requestVote":
            return raft({ kind, from, to, term: huge, preVote: rng.chance(0.5), transfer: rng.chance(0.5), lastIndex: last + 1000, lastTerm: huge });
          case "voteResponse":
            return raft({ kind, from, to, term: huge, preVote: false, granted: true });
          case "appendResponse":
            return raft({ kind, from, to, term: huge, reject: false, index: 0, hintIndex: 0, hintTerm: 0 });
          case "timeoutNow":
            return raft({ kind, from, to, term: huge });
          default: {
            const unreachable: never = kind;
            throw new Error(`unknown kind ${String(unreachable)}`);
          }
        }
      }
      case "forged-ack":
        if (status.role !== "leader" || !isMember(engine.membership().members, from)) return undefined;
        return raft({ kind: "appendResponse", from, to, term, reject: false, index: last + 1 + rng.int(1e12), hintIndex: 0, hintTerm: 0 });
      case "forged-heartbeat-ack":
        if (status.role !== "leader" || !isMember(engine.membership().members, from)) return undefined;
        return raft({ kind: "heartbeatResponse", from, to, term, round: 1e12 + rng.int(1000) });
      case "append-from-non-leader": {
        if (follows === undefined || from === follows || !isMember(engine.membership().members, from)) return undefined;
        const entry: Entry = { index: last + 1, term, kind: "normal", data: encodeRegisterWrite({ key: "x", value: `forged-${rng.int(1e9)}` }) };
        return raft({ kind: "append", from, to, term, prevIndex: last, prevTerm: lastTerm, entries: [entry], commit: last + 1 });
      }
      case "heartbeat-from-non-leader":
        if (follows === undefined || from === follows || !isMember(engine.membership().members, from)) return undefined;
        return raft({ kind: "heartbeat", from, to, term, commit: last, round: 1 + rng.int(100) });
      case "timeout-from-non-leader":
        if (from === follows || !isMember(engine.membership().members, from)) return undefined;
        return raft({ kind: "timeoutNow", from, to, term });
      case "read-index-from-non-leader":
        if (from === follows || !isMember(engine.membership().members, from)) return undefined;
        return raft({ kind: "readIndexResponse", from, to, term, requestId: `forged-${rng.int(1e9)}`, index: 1e12 });
      case "inconsistent-append": {
        if (follows === undefined || from !== follows) return undefined;
        const write = (): Uint8Array => encodeRegisterWrite({ key: "y", value: `forged-${rng.int(1e9)}` });
        const shape = rng.pick(["gap", "term-above-message", "decreasing-terms", "prev-term-above-message"] as const);
        const entries: Entry[] =
          shape === "gap"
            ? [
                { index: last + 1, term, kind: "normal", data: write() },
                { index: last + 3, term, kind: "normal", data: write() },
              ]
            : shape === "term-above-message"
              ? [{ index: last + 1, term: term + 1, kind: "normal", data: write() }]
              : shape === "decreasing-terms"
                ? [
                    { index: last + 1, term, kind: "normal", data: write() },
                    { index: last + 2, term: Math.max(0, Math.min(term, lastTerm) - 1), kind: "normal", data: write() },
                  ]
                : [{ index: last + 1, term, kind: "normal", data: write() }];
        // A commit past the entries is not malformed (the core clamps it, and older leaders sent it): not a shape here.
        const prevTerm = shape === "prev-term-above-message" ? term + 1 : lastTerm;
        return raft({ kind: "append", from, to, term, prevIndex: last, prevTerm, entries, commit: last });
      }
      case "stranger": {
        const kind = rng.pick(["voteResponse", "appendResponse", "heartbeatResponse", "readIndex", "staleAppend"] as const);
        switch (kind) {
          case "voteResponse":
            return raft({ kind, from, to, term, preVote: rng.chance(0.5), granted: true });
          case "appendResponse":
            return raft({ kind, from, to, term, reject: false, index: Math.min(last, 1), hintIndex: 0, hintTerm: 0 });
          case "heartbeatResponse":
            return raft({ kind, from, to, term, round: 0 });
          case "readIndex":
            return raft({ kind, from, to, term, requestId: `forged-${rng.int(1e9)}` });
          case "staleAppend":
            if (term < 2) return undefined;
            return raft({ kind: "append", from, to, term: term - 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
          default: {
            const unreachable: never = kind;
            throw new Error(`unknown kind ${String(unreachable)}`);
          }
        }
      }
      case "claims-to-be-target":
        return raft({ kind: "heartbeat", from, to, term: term + 1, commit: last, round: 1 });
      case "sender-mismatch": {
        const claimed = rng.pick(this.hosts.filter((h) => h.id !== from)).id;
        return raft({ kind: "appendResponse", from: claimed, to, term, reject: false, index: 0, hintIndex: 0, hintTerm: 0 });
      }
      case "bare-snapshot":
        return raft({ kind: "installSnapshot", from, to, term, snapshot: { index: last + 10, term, membership: engine.membership() } });
      case "bad-snapshot-chunk": {
        const chunkTerm = rng.chance(0.5) ? maxTerm + 1 + rng.int(1000) : term;
        // The snapshot's own term above the term it is sent in: no leader has such a snapshot.
        return encodePeerPayload({
          kind: "snapshotChunk",
          from,
          term: chunkTerm,
          snapshot: { index: last + 10, term: term + 1, membership: engine.membership() },
          checksum: "0".repeat(64),
          offset: 0,
          data: new Uint8Array([1, 2, 3]),
          last: true,
        });
      }
      case "garbage": {
        const bytes = new Uint8Array(1 + rng.int(64));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
        // Mostly a valid version byte, so decoding gets past the first check.
        if (rng.chance(0.7)) bytes[0] = 1;
        return bytes;
      }
      default: {
        const unreachable: never = forgery;
        throw new Error(`unknown forgery ${String(unreachable)}`);
      }
    }
  }
}

function isMember(members: readonly { readonly id: string }[], id: string): boolean {
  return members.some((m) => m.id === id);
}
