import { errorMessage } from "../log/error-message.ts";
import { type Entry, type EntryKind, entryKindCode, entryKindFromCode } from "../raft/entry.ts";
import type { Member, Membership, Suffrage } from "../raft/membership.ts";
import type { Message, MessageKind } from "../raft/message.ts";
import type { SnapshotMeta } from "../raft/snapshot-meta.ts";
import { PeerMessageDecodeError, RaftWireReader } from "./wire-reader.ts";
import { RaftWireWriter } from "./wire-writer.ts";

export { PeerMessageDecodeError } from "./wire-reader.ts";

/**
 * What one transport payload carries: a Raft message for the core, or an
 * engine-to-engine note. `clientAddress` is how a member tells the leader
 * where it serves clients and (when given) where it listens for peers, so
 * the leader can record both in the replicated membership (every node then
 * knows where to forward writes, and a member whose ports changed is dialed
 * at its new address).
 */
export type PeerPayload =
  | { readonly kind: "raft"; readonly message: Message }
  | {
      readonly kind: "clientAddress";
      readonly from: string;
      readonly clientAddress: string;
      readonly raftAddress?: string;
      /** The sender's data dir incarnation, recorded when the configuration has none for it yet. */
      readonly incarnation?: string;
    }
  | SnapshotChunk
  | SnapshotAck
  | PeerRefusal;

/**
 * Why a member ignores everything this node sends: it is not the
 * incarnation the configuration records under its id. Sent back (rate
 * limited) so the refused node can say so in its log.
 */
export interface PeerRefusal {
  readonly kind: "refusal";
  readonly from: string;
  readonly reason: string;
}

/**
 * One piece of a snapshot's data file streamed from the leader next to the
 * InstallSnapshot message (which the follower builds from the last chunk).
 * `checksum` is the whole file's SHA-256 (hex), verified before restore.
 */
export interface SnapshotChunk {
  readonly kind: "snapshotChunk";
  readonly from: string;
  /** The leader's term when it started sending. */
  readonly term: number;
  readonly snapshot: SnapshotMeta;
  readonly checksum: string;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly last: boolean;
}

/** The follower's answer to a chunk: the leader sends the next one only then (the transport's queue is bounded). */
export interface SnapshotAck {
  readonly kind: "snapshotAck";
  readonly from: string;
  readonly index: number;
  readonly term: number;
  /** Bytes received so far (the next chunk's offset). */
  readonly nextOffset: number;
  readonly ok: boolean;
}

/**
 * Wire format (all integers big-endian): byte 0 is the format version, byte 1
 * the kind tag; then the fields of that kind in a fixed order. Indexes and
 * terms take 8 bytes, strings and byte arrays a u32 length then the bytes.
 * Tags are stable: never renumber.
 */
const FORMAT_VERSION = 1;

const raftTags: Readonly<Record<MessageKind, number>> = {
  append: 1,
  appendResponse: 2,
  heartbeat: 3,
  heartbeatResponse: 4,
  requestVote: 5,
  voteResponse: 6,
  installSnapshot: 7,
  timeoutNow: 8,
  readIndex: 9,
  readIndexResponse: 10,
};
const kindsByTag: ReadonlyMap<number, MessageKind> = new Map((Object.entries(raftTags) as [MessageKind, number][]).map(([kind, tag]) => [tag, kind]));
const CLIENT_ADDRESS_TAG = 64;
const SNAPSHOT_CHUNK_TAG = 65;
const SNAPSHOT_ACK_TAG = 66;
/** The client address note with the raft address after it. */
const ADDRESSES_TAG = 67;
/** The address note with the sender's incarnation after the raft address. */
const MEMBER_NOTE_TAG = 68;
const REFUSAL_TAG = 69;
/** Member flags in a snapshot's membership: voter, and an incarnation follows the addresses. */
const MEMBER_VOTER = 1;
const MEMBER_HAS_INCARNATION = 2;

// Smallest encodings, used to reject counts larger than the payload could hold.
const MIN_ENTRY_BYTES = 8 + 8 + 1 + 4;
const MIN_MEMBER_BYTES = 4 + 1 + 4 + 4;

export function encodePeerPayload(payload: PeerPayload): Uint8Array {
  const w = new RaftWireWriter(encodedSizeHint(payload));
  w.u8(FORMAT_VERSION);
  switch (payload.kind) {
    case "raft":
      encodeMessage(w, payload.message);
      break;
    case "clientAddress":
      if (payload.incarnation !== undefined) {
        w.u8(MEMBER_NOTE_TAG);
        w.string(payload.from);
        w.string(payload.clientAddress);
        w.string(payload.raftAddress ?? "");
        w.string(payload.incarnation);
        break;
      }
      w.u8(payload.raftAddress === undefined ? CLIENT_ADDRESS_TAG : ADDRESSES_TAG);
      w.string(payload.from);
      w.string(payload.clientAddress);
      if (payload.raftAddress !== undefined) w.string(payload.raftAddress);
      break;
    case "refusal":
      w.u8(REFUSAL_TAG);
      w.string(payload.from);
      w.string(payload.reason);
      break;
    case "snapshotChunk":
      w.u8(SNAPSHOT_CHUNK_TAG);
      w.string(payload.from);
      w.uint(payload.term);
      encodeSnapshotMeta(w, payload.snapshot);
      w.string(payload.checksum);
      w.uint(payload.offset);
      w.bytes(payload.data);
      w.bool(payload.last);
      break;
    case "snapshotAck":
      w.u8(SNAPSHOT_ACK_TAG);
      w.string(payload.from);
      w.uint(payload.index);
      w.uint(payload.term);
      w.uint(payload.nextOffset);
      w.bool(payload.ok);
      break;
    default: {
      const unreachable: never = payload;
      throw new Error(`unknown peer payload ${JSON.stringify(unreachable)}`);
    }
  }
  return w.finish();
}

/** Enough bytes for the whole payload (ids assumed short), so the writer never grows and copies. */
function encodedSizeHint(payload: PeerPayload): number {
  if (payload.kind === "snapshotChunk") return payload.data.length + 512;
  if (payload.kind !== "raft" || payload.message.kind !== "append") return 96;
  let bytes = 256;
  for (const e of payload.message.entries) bytes += MIN_ENTRY_BYTES + e.data.length;
  return bytes;
}

export function encodeRaftMessage(message: Message): Uint8Array {
  return encodePeerPayload({ kind: "raft", message });
}

function encodeMessage(w: RaftWireWriter, m: Message): void {
  w.u8(raftTags[m.kind]);
  w.string(m.from);
  w.string(m.to);
  w.uint(m.term);
  switch (m.kind) {
    case "append":
      w.uint(m.prevIndex);
      w.uint(m.prevTerm);
      w.uint(m.commit);
      w.u32(m.entries.length);
      for (const e of m.entries) encodeEntry(w, e);
      return;
    case "appendResponse":
      w.bool(m.reject);
      w.uint(m.index);
      w.uint(m.hintIndex);
      w.uint(m.hintTerm);
      return;
    case "heartbeat":
      w.uint(m.commit);
      w.uint(m.round);
      return;
    case "heartbeatResponse":
      w.uint(m.round);
      return;
    case "requestVote":
      w.bool(m.preVote);
      w.bool(m.transfer);
      w.uint(m.lastIndex);
      w.uint(m.lastTerm);
      return;
    case "voteResponse":
      w.bool(m.preVote);
      w.bool(m.granted);
      return;
    case "installSnapshot":
      encodeSnapshotMeta(w, m.snapshot);
      return;
    case "timeoutNow":
      return;
    case "readIndex":
      w.string(m.requestId);
      return;
    case "readIndexResponse":
      w.string(m.requestId);
      w.uint(m.index);
      return;
    default: {
      const unreachable: never = m;
      throw new Error(`unknown raft message ${JSON.stringify(unreachable)}`);
    }
  }
}

function encodeEntry(w: RaftWireWriter, e: Entry): void {
  w.uint(e.index);
  w.uint(e.term);
  w.u8(entryKindCode[e.kind]);
  w.bytes(e.data);
}

function encodeSnapshotMeta(w: RaftWireWriter, s: SnapshotMeta): void {
  w.uint(s.index);
  w.uint(s.term);
  w.uint(s.membership.index);
  w.u32(s.membership.members.length);
  for (const m of s.membership.members) {
    const incarnation = m.incarnation ?? "";
    w.string(m.id);
    w.u8((m.suffrage === "voter" ? MEMBER_VOTER : 0) | (incarnation === "" ? 0 : MEMBER_HAS_INCARNATION));
    w.string(m.raftAddress);
    w.string(m.clientAddress);
    if (incarnation !== "") w.string(incarnation);
  }
}

/** Decodes a payload; throws PeerMessageDecodeError (never anything else) on malformed input. */
export function decodePeerPayload(bytes: Uint8Array): PeerPayload {
  try {
    const r = new RaftWireReader(bytes);
    const version = r.u8("version");
    if (version !== FORMAT_VERSION) throw new PeerMessageDecodeError(`unsupported peer message format version ${version}`);
    const tag = r.u8("kind");
    const payload = decodeTagged(r, tag);
    r.end();
    return payload;
  } catch (error) {
    if (error instanceof PeerMessageDecodeError) throw error;
    throw new PeerMessageDecodeError(`malformed peer message: ${errorMessage(error)}`);
  }
}

function decodeTagged(r: RaftWireReader, tag: number): PeerPayload {
  switch (tag) {
    case CLIENT_ADDRESS_TAG:
      return { kind: "clientAddress", from: r.string("from"), clientAddress: r.string("clientAddress") };
    case ADDRESSES_TAG:
      return { kind: "clientAddress", from: r.string("from"), clientAddress: r.string("clientAddress"), raftAddress: r.string("raftAddress") };
    case MEMBER_NOTE_TAG:
      return {
        kind: "clientAddress",
        from: r.string("from"),
        clientAddress: r.string("clientAddress"),
        raftAddress: r.string("raftAddress"),
        incarnation: r.string("incarnation"),
      };
    case REFUSAL_TAG:
      return { kind: "refusal", from: r.string("from"), reason: r.string("reason") };
    case SNAPSHOT_CHUNK_TAG:
      return {
        kind: "snapshotChunk",
        from: r.string("from"),
        term: r.uint("term"),
        snapshot: decodeSnapshotMeta(r),
        checksum: r.string("checksum"),
        offset: r.uint("offset"),
        data: r.bytes("data"),
        last: r.bool("last"),
      };
    case SNAPSHOT_ACK_TAG:
      return {
        kind: "snapshotAck",
        from: r.string("from"),
        index: r.uint("index"),
        term: r.uint("term"),
        nextOffset: r.uint("nextOffset"),
        ok: r.bool("ok"),
      };
    default:
      return { kind: "raft", message: decodeMessage(r, tag) };
  }
}

function kindOfTag(tag: number): MessageKind {
  const kind = kindsByTag.get(tag);
  if (kind === undefined) throw new PeerMessageDecodeError(`unknown peer message kind tag ${tag}`);
  return kind;
}

function decodeMessage(r: RaftWireReader, tag: number): Message {
  const kind = kindOfTag(tag);
  const from = r.string("from");
  const to = r.string("to");
  const term = r.uint("term");
  switch (kind) {
    case "append": {
      const prevIndex = r.uint("prevIndex");
      const prevTerm = r.uint("prevTerm");
      const commit = r.uint("commit");
      const n = r.count("entries", MIN_ENTRY_BYTES);
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) entries.push(decodeEntry(r, i));
      return { kind, from, to, term, prevIndex, prevTerm, commit, entries };
    }
    case "appendResponse":
      return {
        kind,
        from,
        to,
        term,
        reject: r.bool("reject"),
        index: r.uint("index"),
        hintIndex: r.uint("hintIndex"),
        hintTerm: r.uint("hintTerm"),
      };
    case "heartbeat":
      return { kind, from, to, term, commit: r.uint("commit"), round: r.uint("round") };
    case "heartbeatResponse":
      return { kind, from, to, term, round: r.uint("round") };
    case "requestVote":
      return {
        kind,
        from,
        to,
        term,
        preVote: r.bool("preVote"),
        transfer: r.bool("transfer"),
        lastIndex: r.uint("lastIndex"),
        lastTerm: r.uint("lastTerm"),
      };
    case "voteResponse":
      return { kind, from, to, term, preVote: r.bool("preVote"), granted: r.bool("granted") };
    case "installSnapshot":
      return { kind, from, to, term, snapshot: decodeSnapshotMeta(r) };
    case "timeoutNow":
      return { kind, from, to, term };
    case "readIndex":
      return { kind, from, to, term, requestId: r.string("requestId") };
    case "readIndexResponse":
      return { kind, from, to, term, requestId: r.string("requestId"), index: r.uint("index") };
    default: {
      const unreachable: never = kind;
      throw new PeerMessageDecodeError(`unknown peer message kind ${String(unreachable)}`);
    }
  }
}

function decodeEntry(r: RaftWireReader, position: number): Entry {
  const index = r.uint(`entries[${position}].index`);
  const term = r.uint(`entries[${position}].term`);
  const code = r.u8(`entries[${position}].kind`);
  let kind: EntryKind;
  try {
    kind = entryKindFromCode(code);
  } catch {
    throw new PeerMessageDecodeError(`peer message field entries[${position}].kind: unknown entry kind ${code}`);
  }
  return { index, term, kind, data: r.bytes(`entries[${position}].data`) };
}

function decodeSuffrage(flags: number): Suffrage {
  if ((flags & ~(MEMBER_VOTER | MEMBER_HAS_INCARNATION)) !== 0) {
    throw new PeerMessageDecodeError(`peer message field suffrage: unknown flags ${flags}`);
  }
  return (flags & MEMBER_VOTER) !== 0 ? "voter" : "nonvoter";
}

function decodeSnapshotMeta(r: RaftWireReader): SnapshotMeta {
  const index = r.uint("snapshot.index");
  const term = r.uint("snapshot.term");
  const membershipIndex = r.uint("snapshot.membership.index");
  const n = r.count("snapshot.membership.members", MIN_MEMBER_BYTES);
  const members: Member[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.string(`members[${i}].id`);
    const flags = r.u8(`members[${i}].suffrage`);
    const suffrage = decodeSuffrage(flags);
    const raftAddress = r.string(`members[${i}].raftAddress`);
    const clientAddress = r.string(`members[${i}].clientAddress`);
    if ((flags & MEMBER_HAS_INCARNATION) !== 0) {
      members.push({ id, suffrage, raftAddress, clientAddress, incarnation: r.string(`members[${i}].incarnation`) });
    } else {
      members.push({ id, suffrage, raftAddress, clientAddress });
    }
  }
  const membership: Membership = { members, index: membershipIndex };
  return { index, term, membership };
}
