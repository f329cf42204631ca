import { describe, expect, test } from "bun:test";
import { decodePeerPayload, encodePeerPayload, encodeRaftMessage, PeerMessageDecodeError, type PeerPayload } from "../../src/engine/peer-message-codec.ts";
import type { Message } from "../../src/raft/message.ts";

const env = { from: "n1", to: "n2-ünïcode", term: 2 ** 40 + 7 };
const binary = new Uint8Array(256).map((_, i) => i);

const everyKind: Message[] = [
  {
    ...env,
    kind: "append",
    prevIndex: 9,
    prevTerm: 3,
    commit: 8,
    entries: [
      { index: 10, term: 3, kind: "normal", data: binary },
      { index: 11, term: 3, kind: "noop", data: new Uint8Array(0) },
      { index: 12, term: 4, kind: "config", data: new TextEncoder().encode('{"members":[]}') },
    ],
  },
  { ...env, kind: "append", prevIndex: 0, prevTerm: 0, commit: 0, entries: [] },
  { ...env, kind: "appendResponse", reject: true, index: 5, hintIndex: 3, hintTerm: 2 },
  { ...env, kind: "appendResponse", reject: false, index: Number.MAX_SAFE_INTEGER, hintIndex: 0, hintTerm: 0 },
  { ...env, kind: "heartbeat", commit: 17, round: 99 },
  { ...env, kind: "heartbeatResponse", round: 99 },
  { ...env, kind: "requestVote", preVote: true, transfer: false, lastIndex: 40, lastTerm: 6 },
  { ...env, kind: "requestVote", preVote: false, transfer: true, lastIndex: 0, lastTerm: 0 },
  { ...env, kind: "voteResponse", preVote: false, granted: true },
  {
    ...env,
    kind: "installSnapshot",
    snapshot: {
      index: 100,
      term: 5,
      membership: {
        index: 90,
        members: [
          { id: "n1", suffrage: "voter", raftAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2" },
          { id: "n4", suffrage: "nonvoter", raftAddress: "[::1]:3", clientAddress: "" },
        ],
      },
    },
  },
  { ...env, kind: "timeoutNow" },
  { ...env, kind: "readIndex", requestId: "r-1" },
  { ...env, kind: "readIndexResponse", requestId: "r-1", index: 77 },
];

describe("peer message codec", () => {
  test("every Raft message kind round-trips", () => {
    const kinds = new Set<string>();
    for (const message of everyKind) {
      kinds.add(message.kind);
      const decoded = decodePeerPayload(encodeRaftMessage(message));
      expect(decoded).toEqual({ kind: "raft", message });
    }
    expect(kinds.size).toBe(10);
  });

  test("the client address note round-trips", () => {
    const note: PeerPayload = { kind: "clientAddress", from: "n3", clientAddress: "127.0.0.1:40053" };
    expect(decodePeerPayload(encodePeerPayload(note))).toEqual(note);
  });

  test("decoded entry data is a copy, not a view into the receive buffer", () => {
    const bytes = encodeRaftMessage(everyKind[0] as Message);
    const decoded = decodePeerPayload(bytes);
    bytes.fill(0);
    if (decoded.kind !== "raft" || decoded.message.kind !== "append") throw new Error("expected an append");
    expect(decoded.message.entries[0]?.data).toEqual(binary);
  });

  test("every truncation of every kind is rejected with a decode error", () => {
    for (const message of everyKind) {
      const bytes = encodeRaftMessage(message);
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(() => decodePeerPayload(bytes.subarray(0, cut))).toThrow(PeerMessageDecodeError);
      }
    }
  });

  test("trailing bytes, unknown versions, tags and enum codes are rejected", () => {
    const good = encodeRaftMessage({ ...env, kind: "timeoutNow" });
    const trailing = new Uint8Array([...good, 0]);
    expect(() => decodePeerPayload(trailing)).toThrow(/trailing/);
    expect(() => decodePeerPayload(new Uint8Array([2, ...good.subarray(1)]))).toThrow(/version 2/);
    expect(() => decodePeerPayload(new Uint8Array([1, 200, ...good.subarray(2)]))).toThrow(/kind tag 200/);
    const vote = encodeRaftMessage({ ...env, kind: "voteResponse", preVote: false, granted: true });
    const badBool = vote.slice();
    badBool[badBool.length - 1] = 7;
    expect(() => decodePeerPayload(badBool)).toThrow(/invalid boolean/);
  });

  test("a huge claimed count or length does not allocate, it is rejected", () => {
    const empty = encodeRaftMessage({ ...env, kind: "append", prevIndex: 0, prevTerm: 0, commit: 0, entries: [] });
    const lying = empty.slice();
    new DataView(lying.buffer).setUint32(lying.length - 4, 0xffff_ffff);
    expect(() => decodePeerPayload(lying)).toThrow(/count/);
    const readIndex = encodeRaftMessage({ ...env, kind: "readIndex", requestId: "abc" });
    const longString = readIndex.slice();
    new DataView(longString.buffer).setUint32(longString.length - 7, 1_000_000);
    expect(() => decodePeerPayload(longString)).toThrow(PeerMessageDecodeError);
  });

  test("random garbage never throws anything but a decode error", () => {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(next() % 80).map(() => next() % 256);
      if (i % 2 === 0 && bytes.length > 1) {
        bytes[0] = 1;
        bytes[1] = (next() % 11) + 0;
      }
      try {
        decodePeerPayload(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(PeerMessageDecodeError);
      }
    }
  });

  test("an index beyond 2^53 is rejected", () => {
    const hb = encodeRaftMessage({ ...env, kind: "heartbeatResponse", round: 1 });
    const big = hb.slice();
    new DataView(big.buffer).setUint32(big.length - 8, 0xffff_ffff);
    expect(() => decodePeerPayload(big)).toThrow(/2\^53/);
  });
});
