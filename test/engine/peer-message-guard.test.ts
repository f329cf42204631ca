import { describe, expect, test } from "bun:test";
import type { PeerPayload } from "../../src/engine/peer-message-codec.ts";
import { checkPeerPayload, maxTermStep, type PeerGuardView, type PeerRejectionReason } from "../../src/engine/peer-message-guard.ts";
import type { Entry } from "../../src/raft/entry.ts";
import type { Membership } from "../../src/raft/membership.ts";
import type { Message } from "../../src/raft/message.ts";
import type { RaftStatus } from "../../src/raft/raft-stats.ts";
import { maxTerm } from "../../src/raft/term-limit.ts";

/*
 * Transcripts: node n1 in a cluster {n1, n2, n3} (configuration at index 4),
 * at term 7, following n2 with a log ending at index 20. Each case hands it
 * one payload and says whether it is dropped, and why.
 */

const membership: Membership = {
  index: 4,
  members: ["n1", "n2", "n3"].map((id) => ({ id, suffrage: "voter" as const, raftAddress: `raft-${id}`, clientAddress: "" })),
};

function view(status: Partial<RaftStatus> = {}, round = 0): PeerGuardView {
  const full: RaftStatus = { role: "follower", term: 7, leader: "n2", commitIndex: 18, lastLogIndex: 20, ...status };
  return { status: () => full, membership: () => membership, heartbeatRound: () => round };
}

const asLeader = view({ role: "leader", leader: "n1" }, 12);

function verdict(message: Message, on: PeerGuardView = view(), sender = message.from): PeerRejectionReason | "accepted" {
  return checkPeerPayload("n1", on, sender, { kind: "raft", message })?.reason ?? "accepted";
}

function verdictOf(payload: PeerPayload, on: PeerGuardView, sender: string): PeerRejectionReason | "accepted" {
  return checkPeerPayload("n1", on, sender, payload)?.reason ?? "accepted";
}

const entry = (index: number, term: number): Entry => ({ index, term, kind: "normal", data: new Uint8Array([1]) });

describe("terms", () => {
  test("a term above maxTerm, or more than maxTermStep above ours, is dropped whatever the message", () => {
    for (const term of [2 ** 53 - 1, maxTerm + 1, 7 + maxTermStep + 1]) {
      expect(verdict({ kind: "heartbeat", from: "n2", to: "n1", term, commit: 0, round: 1 })).toBe("term-out-of-range");
      expect(verdict({ kind: "requestVote", from: "n3", to: "n1", term, preVote: true, transfer: false, lastIndex: 30, lastTerm: 7 })).toBe(
        "term-out-of-range",
      );
      expect(verdict({ kind: "appendResponse", from: "n3", to: "n1", term, reject: false, index: 0, hintIndex: 0, hintTerm: 0 }, asLeader)).toBe(
        "term-out-of-range",
      );
    }
  });

  test("a new leader's term up to maxTermStep above ours is heard", () => {
    expect(verdict({ kind: "heartbeat", from: "n3", to: "n1", term: 7 + maxTermStep, commit: 0, round: 1 })).toBe("accepted");
  });

  test("negative and fractional numbers never came from an honest encoder", () => {
    expect(verdict({ kind: "heartbeat", from: "n2", to: "n1", term: -1, commit: 0, round: 1 })).toBe("inconsistent-indexes");
    expect(verdict({ kind: "heartbeat", from: "n2", to: "n1", term: 7, commit: 1.5, round: 1 })).toBe("inconsistent-indexes");
    expect(verdict({ kind: "append", from: "n2", to: "n1", term: 7, prevIndex: -3, prevTerm: 0, entries: [], commit: 0 })).toBe("inconsistent-indexes");
  });
});

describe("who may send what", () => {
  test("a stranger's vote, acknowledgement or read request is dropped", () => {
    expect(verdict({ kind: "voteResponse", from: "mallory", to: "n1", term: 7, preVote: false, granted: true })).toBe("unknown-sender");
    expect(verdict({ kind: "appendResponse", from: "mallory", to: "n1", term: 7, reject: false, index: 3, hintIndex: 0, hintTerm: 0 }, asLeader)).toBe(
      "unknown-sender",
    );
    expect(verdict({ kind: "readIndex", from: "mallory", to: "n1", term: 7, requestId: "r" }, asLeader)).toBe("unknown-sender");
  });

  test("a leader this node's configuration predates is heard (term >= ours), a stale one is not", () => {
    expect(verdict({ kind: "heartbeat", from: "n9", to: "n1", term: 8, commit: 20, round: 1 })).toBe("accepted");
    expect(verdict({ kind: "append", from: "n9", to: "n1", term: 8, prevIndex: 20, prevTerm: 7, entries: [entry(21, 8)], commit: 21 })).toBe("accepted");
    expect(verdict({ kind: "heartbeat", from: "n9", to: "n1", term: 6, commit: 20, round: 1 })).toBe("unknown-sender");
  });

  test("a candidate not in our configuration is heard only when its log goes past that configuration", () => {
    const vote = (lastIndex: number): Message => ({
      kind: "requestVote",
      from: "n9",
      to: "n1",
      term: 8,
      preVote: true,
      transfer: false,
      lastIndex,
      lastTerm: 7,
    });
    expect(verdict(vote(5))).toBe("accepted");
    expect(verdict(vote(4))).toBe("unknown-sender");
  });

  test("a message claiming to come from this node, or from someone other than its connection's sender", () => {
    expect(verdict({ kind: "heartbeat", from: "n1", to: "n1", term: 8, commit: 0, round: 1 })).toBe("unknown-sender");
    expect(verdict({ kind: "heartbeat", from: "n2", to: "n1", term: 7, commit: 0, round: 1 }, view(), "n3")).toBe("sender-mismatch");
  });

  test("an InstallSnapshot without its data is dropped", () => {
    expect(verdict({ kind: "installSnapshot", from: "n2", to: "n1", term: 7, snapshot: { index: 30, term: 7, membership } })).toBe("bare-snapshot");
  });
});

describe("leadership", () => {
  test("an append or heartbeat at our term from anyone but the leader we follow is dropped", () => {
    expect(verdict({ kind: "append", from: "n3", to: "n1", term: 7, prevIndex: 20, prevTerm: 7, entries: [entry(21, 7)], commit: 21 })).toBe("not-the-leader");
    expect(verdict({ kind: "heartbeat", from: "n3", to: "n1", term: 7, commit: 20, round: 3 })).toBe("not-the-leader");
    expect(verdict({ kind: "heartbeat", from: "n3", to: "n1", term: 7, commit: 20, round: 3 }, asLeader)).toBe("not-the-leader");
  });

  test("the leader we follow, a leader at a higher term, and one at our term while we know none are heard", () => {
    expect(verdict({ kind: "append", from: "n2", to: "n1", term: 7, prevIndex: 20, prevTerm: 7, entries: [entry(21, 7)], commit: 21 })).toBe("accepted");
    expect(verdict({ kind: "heartbeat", from: "n3", to: "n1", term: 8, commit: 20, round: 1 })).toBe("accepted");
    expect(verdict({ kind: "heartbeat", from: "n3", to: "n1", term: 7, commit: 20, round: 1 }, view({ role: "candidate", leader: "" }))).toBe("accepted");
  });

  test("a stale leader's append (term below ours) reaches the core, which tells it about the new term", () => {
    expect(verdict({ kind: "append", from: "n3", to: "n1", term: 6, prevIndex: 20, prevTerm: 6, entries: [], commit: 18 })).toBe("accepted");
  });

  test("TimeoutNow and a read index come only from the leader we follow, at our term", () => {
    expect(verdict({ kind: "timeoutNow", from: "n2", to: "n1", term: 7 })).toBe("accepted");
    expect(verdict({ kind: "timeoutNow", from: "n3", to: "n1", term: 7 })).toBe("not-the-leader");
    expect(verdict({ kind: "timeoutNow", from: "n3", to: "n1", term: 8 })).toBe("not-the-leader");
    expect(verdict({ kind: "readIndexResponse", from: "n2", to: "n1", term: 7, requestId: "r", index: 19 })).toBe("accepted");
    expect(verdict({ kind: "readIndexResponse", from: "n3", to: "n1", term: 7, requestId: "r", index: 1e12 })).toBe("not-the-leader");
  });
});

describe("acknowledgements", () => {
  const ack = (index: number, reject = false, hintIndex = 0, hintTerm = 0): Message => ({
    kind: "appendResponse",
    from: "n3",
    to: "n1",
    term: 7,
    reject,
    index,
    hintIndex,
    hintTerm,
  });

  test("an acknowledgement beyond the leader's last index is dropped", () => {
    expect(verdict(ack(20), asLeader)).toBe("accepted");
    expect(verdict(ack(1e12), asLeader)).toBe("ack-beyond-log");
    expect(verdict(ack(21), asLeader)).toBe("ack-beyond-log");
  });

  test("a rejection whose hint lies past what it rejects is dropped", () => {
    expect(verdict(ack(15, true, 12, 6), asLeader)).toBe("accepted");
    expect(verdict(ack(15, true, 16, 6), asLeader)).toBe("inconsistent-indexes");
    expect(verdict(ack(15, true, 12, 8), asLeader)).toBe("inconsistent-indexes");
  });

  test("a heartbeat round the leader has not sent yet cannot be acknowledged", () => {
    expect(verdict({ kind: "heartbeatResponse", from: "n3", to: "n1", term: 7, round: 12 }, asLeader)).toBe("accepted");
    expect(verdict({ kind: "heartbeatResponse", from: "n3", to: "n1", term: 7, round: 13 }, asLeader)).toBe("ack-beyond-log");
  });
});

describe("indexes of an append", () => {
  const append = (entries: Entry[], commit: number, prevTerm = 7): Message => ({
    kind: "append",
    from: "n2",
    to: "n1",
    term: 7,
    prevIndex: 20,
    prevTerm,
    entries,
    commit,
  });

  test("entries must follow prevIndex one by one", () => {
    expect(verdict(append([entry(21, 7), entry(23, 7)], 21))).toBe("inconsistent-indexes");
    expect(verdict(append([entry(20, 7)], 20))).toBe("inconsistent-indexes");
  });

  test("entry terms never decrease, never pass the message's term, and never fall below prevTerm", () => {
    expect(verdict(append([entry(21, 7), entry(22, 6)], 22, 6))).toBe("inconsistent-indexes");
    expect(verdict(append([entry(21, 8)], 21))).toBe("inconsistent-indexes");
    expect(verdict(append([entry(21, 6)], 21))).toBe("inconsistent-indexes");
    expect(verdict(append([entry(21, 0)], 21, 0))).toBe("inconsistent-indexes");
    expect(verdict(append([], 20, 8))).toBe("inconsistent-indexes");
  });

  test("a commit index beyond what the message covers passes (the core clamps it; older leaders send it), a malformed one does not", () => {
    expect(verdict(append([entry(21, 7)], 21))).toBe("accepted");
    expect(verdict(append([entry(21, 7)], 22))).toBe("accepted");
    expect(verdict(append([], 1e12))).toBe("accepted");
    expect(verdict(append([], -1))).toBe("inconsistent-indexes");
    expect(verdict(append([], 2.5))).toBe("inconsistent-indexes");
  });
});

describe("snapshot transfer", () => {
  const chunk = (from: string, term: number, snapshotTerm: number, membershipIndex = 4): PeerPayload => ({
    kind: "snapshotChunk",
    from,
    term,
    snapshot: { index: 40, term: snapshotTerm, membership: { ...membership, index: membershipIndex } },
    checksum: "0".repeat(64),
    offset: 0,
    data: new Uint8Array([1]),
    last: true,
  });

  test("a chunk follows the rules of leader traffic", () => {
    expect(verdictOf(chunk("n2", 7, 7), view(), "n2")).toBe("accepted");
    expect(verdictOf(chunk("n3", 7, 7), view(), "n3")).toBe("not-the-leader");
    expect(verdictOf(chunk("n9", 8, 7), view(), "n9")).toBe("accepted");
    expect(verdictOf(chunk("n9", 6, 6), view(), "n9")).toBe("unknown-sender");
    expect(verdictOf(chunk("n2", maxTerm + 1, 7), view(), "n2")).toBe("term-out-of-range");
    expect(verdictOf(chunk("n2", 7, 7), view(), "n3")).toBe("sender-mismatch");
  });

  test("a snapshot whose term passes the term it is sent in, or whose configuration is newer than itself, is dropped", () => {
    expect(verdictOf(chunk("n2", 7, 8), view(), "n2")).toBe("inconsistent-indexes");
    expect(verdictOf(chunk("n2", 7, 7, 41), view(), "n2")).toBe("inconsistent-indexes");
  });

  test("a snapshot acknowledgement comes from a member", () => {
    const ack = (from: string): PeerPayload => ({ kind: "snapshotAck", from, index: 40, term: 7, nextOffset: 1, ok: true });
    expect(verdictOf(ack("n3"), asLeader, "n3")).toBe("accepted");
    expect(verdictOf(ack("mallory"), asLeader, "mallory")).toBe("unknown-sender");
  });
});
