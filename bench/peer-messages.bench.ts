/**
 * Peer message codec micro-benchmark (a benchmark, not a test):
 *   bun bench/peer-messages.bench.ts
 *
 * Encode and decode cost of the Raft messages the engine sends most: an
 * AppendEntries carrying 64 entries of 256-byte commands (a replication
 * batch), a heartbeat, and an append response. Frame-level costs (envelope,
 * socket batching) are in bench/transport.bench.ts.
 */
import { bench, run, summary } from "mitata";
import { decodePeerPayload, encodeRaftMessage } from "../src/engine/peer-message-codec.ts";
import type { Entry } from "../src/raft/entry.ts";
import type { Message } from "../src/raft/message.ts";

const entries: Entry[] = Array.from({ length: 64 }, (_, i) => ({
  index: 1000 + i,
  term: 7,
  kind: "normal",
  data: new Uint8Array(270).fill(i),
}));

const messages: ReadonlyArray<readonly [string, Message]> = [
  ["append (64 × 270 B entries)", { kind: "append", from: "n1", to: "n2", term: 7, prevIndex: 999, prevTerm: 7, entries, commit: 990 }],
  ["heartbeat", { kind: "heartbeat", from: "n1", to: "n2", term: 7, commit: 1063, round: 42 }],
  ["appendResponse", { kind: "appendResponse", from: "n2", to: "n1", term: 7, reject: false, index: 1063, hintIndex: 0, hintTerm: 0 }],
];

for (const [name, message] of messages) {
  const bytes = encodeRaftMessage(message);
  summary(() => {
    bench(`encode ${name} (${bytes.length} B)`, () => encodeRaftMessage(message));
    bench(`decode ${name} (${bytes.length} B)`, () => decodePeerPayload(bytes));
  });
}

await run();
