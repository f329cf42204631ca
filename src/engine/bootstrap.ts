import { createHash } from "node:crypto";
import type { Member } from "../raft/membership.ts";
import { bootstrapEntries } from "../raft/raw-node.ts";
import type { LogStore } from "./log-store.ts";

/** One member of `--initial-cluster id=raftaddr,...`. */
export interface InitialMember {
  readonly id: string;
  readonly raftAddress: string;
}

export interface BootstrapOptions {
  readonly selfId: string;
  /** Static bootstrap of several nodes; empty or undefined: a single node that bootstraps itself. */
  readonly initialCluster?: readonly InitialMember[];
  /** This node's advertised addresses (used for a single-node bootstrap). */
  readonly raftAddress: string;
  readonly clientAddress: string;
  /** This data dir's incarnation (see ensureIncarnation): recorded for a node that bootstraps alone. */
  readonly incarnation: string;
}

const CLUSTER_ID_KEY = "cluster_id";
const INCARNATION_KEY = "incarnation";
/** "join" when the data dir entered a running cluster; absent when it bootstrapped one (or predates this key). */
const ENTERED_BY_KEY = "entered_by";
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Parses `n1=127.0.0.1:50051,n2=...`; throws naming the bad item. */
export function parseInitialCluster(text: string): InitialMember[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const members: InitialMember[] = [];
  for (const item of trimmed.split(",")) {
    const at = item.indexOf("=");
    const id = at > 0 ? item.slice(0, at).trim() : "";
    const raftAddress = at > 0 ? item.slice(at + 1).trim() : "";
    if (id === "" || raftAddress === "") {
      throw new Error(`initial-cluster: expected id=host:port, got ${JSON.stringify(item)}`);
    }
    if (members.some((m) => m.id === id)) throw new Error(`initial-cluster: member id ${JSON.stringify(id)} appears twice`);
    members.push({ id, raftAddress });
  }
  return members;
}

function staticMembers(initial: readonly InitialMember[]): Member[] {
  return initial.map((m) => ({ id: m.id, suffrage: "voter", raftAddress: m.raftAddress, clientAddress: "" }));
}

function hashClusterId(firstEntryData: Uint8Array): string {
  return createHash("sha256").update(firstEntryData).digest("hex").slice(0, 16);
}

/** True once the node holds Raft state (entries or a term): it is, or was, a member and never joins or bootstraps again. */
export function hasData(logStore: LogStore): boolean {
  return logStore.lastIndex() > 0 || logStore.hardState().term > 0;
}

/**
 * A joining node records the cluster id it learned from the cluster, and
 * writes no entry: its log starts empty and is filled by the leader. Until
 * an entry arrives it counts as empty, so a restart asks to join again.
 */
export function rememberClusterId(logStore: LogStore, clusterId: string): void {
  logStore.persist({
    meta: new Map([
      [CLUSTER_ID_KEY, utf8.encode(clusterId)],
      [ENTERED_BY_KEY, utf8.encode("join")],
    ]),
  });
}

/** Whether this data dir entered its cluster by a join (see RaftConfig.acceptUnrecordedIncarnation). */
export function enteredByJoin(logStore: LogStore): boolean {
  const value = logStore.getMeta(ENTERED_BY_KEY);
  return value !== undefined && fromUtf8.decode(value) === "join";
}

/**
 * The data dir's incarnation: a random id made once, when a node first uses
 * an empty data dir (or, for a data dir from before incarnations, the first
 * time it starts now). A wiped or re-created data dir gets a new one, and
 * the cluster tells the two apart by it.
 */
export function ensureIncarnation(logStore: LogStore, fresh: () => string): string {
  const stored = logStore.getMeta(INCARNATION_KEY);
  if (stored !== undefined) return fromUtf8.decode(stored);
  const incarnation = fresh();
  logStore.setMeta(INCARNATION_KEY, utf8.encode(incarnation));
  return incarnation;
}

/** A fresh 16-hex-digit id (cluster ids, incarnations). */
export function randomId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}

/**
 * The cluster id peers must present on the Raft port: the stored one for a
 * node with data; for a static initial cluster, a hash of the first entry
 * (identical on every initial member, so they agree without talking); for a
 * lone new node, a fresh random id.
 */
export function resolveClusterId(logStore: LogStore, initialCluster: readonly InitialMember[] | undefined): string {
  if (hasData(logStore)) {
    const stored = logStore.getMeta(CLUSTER_ID_KEY);
    if (stored !== undefined) return fromUtf8.decode(stored);
    const first = logStore.entries(logStore.firstIndex(), logStore.firstIndex() + 1)[0];
    if (first === undefined) throw new Error("raft log has a hard state but no entries and no cluster id");
    return hashClusterId(first.data);
  }
  if (initialCluster !== undefined && initialCluster.length > 0) {
    const first = bootstrapEntries(staticMembers(initialCluster)).entries[0];
    if (first === undefined) throw new Error("bootstrapEntries returned no entry");
    return hashClusterId(first.data);
  }
  return randomId();
}

/**
 * Makes sure the log holds a cluster. A node with data keeps its own log and
 * hard state (an initial-cluster flag is ignored, so a restart never
 * re-bootstraps); an empty node writes the first configuration entry. With an
 * initial cluster every member writes the identical entry (client addresses
 * left empty, as no member knows the others' yet: each advertises its own
 * once a leader exists); alone, a node is the only voter. Returns whether it
 * wrote the first entry.
 */
export function bootstrapLog(logStore: LogStore, options: BootstrapOptions, clusterId: string): boolean {
  if (hasData(logStore)) {
    const first = logStore.compactedIndex() === 0 && logStore.lastIndex() > 0 ? logStore.entries(1, 2)[0] : undefined;
    if (first !== undefined && first.kind !== "config") {
      throw new Error(
        "the data dir holds a log without a cluster configuration (written by the single-node engine of raftkv 0.1); " + "start from an empty data dir",
      );
    }
    if (logStore.getMeta(CLUSTER_ID_KEY) === undefined) logStore.setMeta(CLUSTER_ID_KEY, utf8.encode(clusterId));
    return false;
  }
  const initial = options.initialCluster ?? [];
  let members: Member[];
  if (initial.length === 0) {
    members = [
      { id: options.selfId, suffrage: "voter", raftAddress: options.raftAddress, clientAddress: options.clientAddress, incarnation: options.incarnation },
    ];
  } else {
    if (!initial.some((m) => m.id === options.selfId)) {
      throw new Error(`initial-cluster does not list this node's id ${JSON.stringify(options.selfId)} (members: ${initial.map((m) => m.id).join(", ")})`);
    }
    members = staticMembers(initial);
  }
  const { entries, hardState } = bootstrapEntries(members);
  logStore.persist({ hardState, entries, meta: new Map([[CLUSTER_ID_KEY, utf8.encode(clusterId)]]) });
  return true;
}
