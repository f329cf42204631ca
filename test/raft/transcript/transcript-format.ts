import type { Entry } from "../../../src/raft/entry.ts";
import { decodeMembership } from "../../../src/raft/membership-codec.ts";
import type { Message } from "../../../src/raft/message.ts";
import type { RaftEvent } from "../../../src/raft/raft-event.ts";
import type { Ready } from "../../../src/raft/ready.ts";

const decoder = new TextDecoder();

/** `3/2 "v"`, `1/1 config n1 n2 n3(nonvoter)`, `4/2 noop`: index/term, kind, payload. */
export function formatEntry(e: Entry): string {
  switch (e.kind) {
    case "normal":
      return `${e.index}/${e.term} ${JSON.stringify(decoder.decode(e.data))}`;
    case "noop":
      return `${e.index}/${e.term} noop`;
    case "config": {
      const members = decodeMembership(e).members.map((m) => (m.suffrage === "voter" ? m.id : `${m.id}(nonvoter)`));
      return `${e.index}/${e.term} config ${members.join(" ")}`;
    }
    default: {
      const unreachable: never = e.kind;
      throw new Error(`unknown entry kind ${String(unreachable)}`);
    }
  }
}

function entryList(entries: readonly Entry[]): string {
  return `[${entries.map(formatEntry).join(", ")}]`;
}

/** One line per message, fields in a fixed order, so a behaviour change shows as a one-line diff. */
export function formatMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.kind} t${m.term}`;
  switch (m.kind) {
    case "append":
      return `${head} prev=${m.prevIndex}/${m.prevTerm} commit=${m.commit} entries=${entryList(m.entries)}`;
    case "appendResponse":
      return m.reject ? `${head} reject index=${m.index} hint=${m.hintIndex}/${m.hintTerm}` : `${head} index=${m.index}`;
    case "heartbeat":
      return `${head} commit=${m.commit} round=${m.round}`;
    case "heartbeatResponse":
      return `${head} round=${m.round}`;
    case "requestVote":
      return `${head}${m.preVote ? " pre" : ""}${m.transfer ? " transfer" : ""} last=${m.lastIndex}/${m.lastTerm}`;
    case "voteResponse":
      return `${head}${m.preVote ? " pre" : ""} ${m.granted ? "granted" : "rejected"}`;
    case "installSnapshot":
      return `${head} snapshot=${m.snapshot.index}/${m.snapshot.term}`;
    case "timeoutNow":
      return head;
    case "readIndex":
      return `${head} id=${m.requestId}`;
    case "readIndexResponse":
      return `${head} id=${m.requestId} index=${m.index}`;
    default: {
      const unreachable: never = m;
      throw new Error(`unknown message ${JSON.stringify(unreachable)}`);
    }
  }
}

export function formatEvent(e: RaftEvent): string {
  switch (e.kind) {
    case "roleChanged":
      return `role ${e.role} t${e.term}`;
    case "leaderChanged":
      return `leader ${e.leader === "" ? "none" : e.leader} t${e.term}`;
    case "peerUnreachable":
      return `unreachable ${e.peer}`;
    case "peerReachable":
      return `reachable ${e.peer}`;
    case "leadershipTransferFinished":
      return `transfer to ${e.target} ${e.succeeded ? "succeeded" : "failed"}`;
    case "nonvoterPromoted":
      return `promoted ${e.peer} at ${e.index}`;
    case "peerLogRegressed":
      return `regressed ${e.peer} acknowledged=${e.acknowledged} holds=${e.holds}`;
    default: {
      const unreachable: never = e;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A Ready as indented lines, only the parts it has, in the order the engine acts on them. */
export function formatReady(id: string, r: Ready): string[] {
  const lines = [`${id} ready`];
  if (r.hardState !== undefined) lines.push(`  hard state: term=${r.hardState.term} vote=${r.hardState.vote || "-"} commit=${r.hardState.commit}`);
  for (const m of r.messages) lines.push(`  send: ${formatMessage(m)}`);
  if (r.snapshot !== undefined) lines.push(`  snapshot: ${r.snapshot.index}/${r.snapshot.term}`);
  if (r.entries.length > 0) lines.push(`  persist: ${entryList(r.entries)}`);
  for (const m of r.messagesAfterPersist) lines.push(`  send after persist: ${formatMessage(m)}`);
  if (r.committedEntries.length > 0) lines.push(`  apply: ${entryList(r.committedEntries)}`);
  for (const rs of r.readStates) lines.push(`  read state: ${rs.requestId}@${rs.index}`);
  if (r.events.length > 0) lines.push(`  events: ${r.events.map(formatEvent).join("; ")}`);
  if (r.compactLogTo > 0) lines.push(`  compact log to: ${r.compactLogTo}`);
  return lines;
}
