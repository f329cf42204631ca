import type { MembershipChange } from "../../../src/raft/membership-change.ts";
import type { Message, MessageKind } from "../../../src/raft/message.ts";
import type { AcceptResult, ProposalResult } from "../../../src/raft/proposal-result.ts";
import { member, type Options, TestCluster } from "../test-cluster.ts";
import { formatMessage, formatReady } from "./transcript-format.ts";

const encoder = new TextEncoder();

/** One `command args` / `----` / expected output block of a transcript file. */
export interface TranscriptCase {
  readonly line: number;
  readonly command: string;
  readonly expected: string;
}

/**
 * Parses a transcript in etcd-io/raft's datadriven shape: a command line,
 * `----`, its expected output, a blank line. Lines starting with `#` between
 * cases are comments.
 */
export function parseTranscript(text: string): TranscriptCase[] {
  const lines = text.split("\n");
  const cases: TranscriptCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = (lines[i] ?? "").trimEnd();
    if (line === "" || line.startsWith("#")) {
      i++;
      continue;
    }
    if (lines[i + 1]?.trimEnd() !== "----") throw new Error(`line ${i + 2}: expected ---- after the command ${JSON.stringify(line)}`);
    const output: string[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? "").trimEnd() !== ""; j++) output.push((lines[j] ?? "").trimEnd());
    cases.push({ line: i + 1, command: line, expected: output.join("\n") });
    i = j;
  }
  return cases;
}

/** Renders cases with their actual outputs, keeping the comments of the original (for rewriting a file). */
export function renderTranscript(original: string, outputs: readonly string[]): string {
  const lines = original.split("\n");
  const out: string[] = [];
  let i = 0;
  let k = 0;
  while (i < lines.length) {
    const line = (lines[i] ?? "").trimEnd();
    if (line === "" || line.startsWith("#")) {
      out.push(line);
      i++;
      continue;
    }
    out.push(line, "----", outputs[k++] ?? "");
    let j = i + 2;
    while (j < lines.length && (lines[j] ?? "").trimEnd() !== "") j++;
    i = j;
  }
  return out.join("\n");
}

function parseArgs(words: readonly string[]): { positional: string[]; named: Map<string, string> } {
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (const w of words) {
    const at = w.indexOf("=");
    if (at > 0) named.set(w.slice(0, at), w.slice(at + 1));
    else positional.push(w);
  }
  return { positional, named };
}

function describeProposal(r: ProposalResult): string {
  return r.ok ? `ok: index ${r.index} term ${r.term}` : `refused ${r.refusal.kind}: ${r.refusal.message}`;
}

function describeAccept(r: AcceptResult): string {
  return r.ok ? "ok" : `refused ${r.refusal.kind}: ${r.refusal.message}`;
}

function messageFilter(named: ReadonlyMap<string, string>): (m: Message) => boolean {
  const from = named.get("from");
  const to = named.get("to");
  const kind = named.get("kind") as MessageKind | undefined;
  return (m) => (from === undefined || m.from === from) && (to === undefined || m.to === to) && (kind === undefined || m.kind === kind);
}

/**
 * Runs transcript commands against a hand-driven TestCluster, printing every
 * Ready handled and every message delivered or dropped, so a change in the
 * core's behaviour shows as a text diff in a reviewable file.
 */
export class TranscriptRunner {
  private cluster: TestCluster | undefined;
  private out: string[] = [];

  run(command: string): string {
    this.out = [];
    const [name, ...rest] = command.split(/\s+/);
    const { positional, named } = parseArgs(rest);
    try {
      this.execute(name ?? "", positional, named);
    } catch (error) {
      this.out.push(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
    return this.out.length === 0 ? "ok" : this.out.join("\n");
  }

  private get c(): TestCluster {
    if (this.cluster === undefined) throw new Error("no cluster yet (start with `cluster voters=...`)");
    return this.cluster;
  }

  private observe(cluster: TestCluster): void {
    cluster.observer = {
      ready: (id, ready) => this.out.push(...formatReady(id, ready)),
      delivered: (m) => this.out.push(`deliver ${formatMessage(m)}`),
      dropped: (m, why) => this.out.push(`drop (${why}) ${formatMessage(m)}`),
    };
  }

  private node(positional: readonly string[], at = 0): string {
    const id = positional[at];
    if (id === undefined) throw new Error("which node?");
    return id;
  }

  private execute(name: string, positional: readonly string[], named: ReadonlyMap<string, string>): void {
    switch (name) {
      case "cluster": {
        const voters = (named.get("voters") ?? "").split(",").filter((s) => s !== "");
        const nonvoters = (named.get("nonvoters") ?? "").split(",").filter((s) => s !== "");
        const extra = (named.get("empty") ?? "").split(",").filter((s) => s !== "");
        const options: Record<string, number | boolean> = {};
        for (const [k, v] of named) {
          if (k === "voters" || k === "nonvoters" || k === "empty") continue;
          options[k] = v === "true" ? true : v === "false" ? false : Number(v);
        }
        const members = [...voters.map((id) => member(id)), ...nonvoters.map((id) => member(id, "nonvoter"))];
        this.cluster = new TestCluster(members, options as Options, extra);
        this.observe(this.cluster);
        return;
      }
      case "campaign":
        this.c.raw(this.node(positional)).campaign();
        if (named.get("process") !== "false") this.c.processReadies();
        return;
      case "hold": {
        // Takes the node's Ready: its early messages leave, nothing is durable until `release`.
        const id = this.node(positional);
        if (this.c.hold(id) === undefined) this.out.push(`${id}: no Ready`);
        return;
      }
      case "release":
        this.c.release(this.node(positional));
        this.c.processReadies();
        return;
      case "tick": {
        const id = this.node(positional);
        this.c.tick(id, Number(positional[1] ?? "1"));
        this.c.processReadies();
        return;
      }
      case "tick-all":
        this.c.tickAll(Number(positional[0] ?? "1"));
        return;
      case "propose": {
        const id = this.node(positional);
        this.out.push(describeProposal(this.c.raw(id).propose(encoder.encode(positional[1] ?? ""))));
        if (named.get("process") !== "false") this.c.processReadies();
        return;
      }
      case "deliver":
        this.c.deliver(messageFilter(named));
        return;
      case "drop":
        this.c.drop(messageFilter(named));
        return;
      case "stabilize":
        this.c.stabilize();
        return;
      case "isolate":
        this.c.isolate(this.node(positional));
        return;
      case "cut":
        this.c.cutLink(this.node(positional, 0), this.node(positional, 1));
        return;
      case "heal":
        this.c.heal();
        return;
      case "crash":
        this.c.crash(this.node(positional));
        return;
      case "wipe":
        this.c.wipe(this.node(positional));
        return;
      case "restart":
        this.c.start(this.node(positional));
        this.c.processReadies();
        return;
      case "read-index":
      case "lease-read": {
        const raw = this.c.raw(this.node(positional));
        const id = positional[1] ?? "r1";
        this.out.push(describeAccept(name === "read-index" ? raw.readIndex(id) : raw.leaseRead(id)));
        this.c.processReadies();
        return;
      }
      case "transfer": {
        this.out.push(describeAccept(this.c.raw(this.node(positional)).transferLeadership(positional[1])));
        this.c.processReadies();
        return;
      }
      case "add-voter":
      case "add-nonvoter":
      case "demote":
      case "remove": {
        const target = this.node(positional, 1);
        const addresses = { raftAddress: `raft-${target}`, clientAddress: `client-${target}` };
        const change: MembershipChange =
          name === "add-voter"
            ? { kind: "addVoter", id: target, ...addresses }
            : name === "add-nonvoter"
              ? { kind: "addNonvoter", id: target, ...addresses }
              : name === "demote"
                ? { kind: "demoteVoter", id: target }
                : { kind: "removeServer", id: target };
        this.out.push(describeProposal(this.c.raw(this.node(positional)).changeMembership(change, Number(named.get("prev") ?? "0"))));
        this.c.processReadies();
        return;
      }
      case "snapshot":
        this.out.push(`snapshot at ${this.c.snapshot(this.node(positional))}`);
        return;
      case "status": {
        const ids = positional.length > 0 ? positional : [...this.c.nodes.keys()];
        for (const id of ids) this.out.push(this.status(id));
        return;
      }
      default:
        throw new Error(`unknown command ${JSON.stringify(name)}`);
    }
  }

  private status(id: string): string {
    const n = this.c.node(id);
    if (n.raw === undefined) return `${id}: down`;
    const s = n.raw.stats();
    const voters = s.membership.members.map((m) => (m.suffrage === "voter" ? m.id : `${m.id}(nonvoter)`)).join(" ");
    const peers = s.peers.map((p) => `${p.id}:${p.state} match=${p.match} next=${p.next}`).join(" ");
    return (
      `${id}: ${s.role} term=${s.term} vote=${s.vote || "-"} leader=${s.leader || "-"} ` +
      `log=${s.lastLogIndex}/${s.lastLogTerm} commit=${s.commitIndex} applied=${s.appliedIndex} ` +
      `snapshot=${s.lastSnapshotIndex} config@${s.membership.index}=[${voters}]${peers === "" ? "" : ` progress: ${peers}`}`
    );
  }
}
