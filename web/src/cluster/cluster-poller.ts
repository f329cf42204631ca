import type { GetConfigurationResponse, StatusResponse } from "../../../src/gen/raftkv/v1/cluster_pb.ts";
import type { NodeConnection } from "../connection/node-connection.ts";
import { nodeFigures } from "../metrics/node-figures.ts";
import { RateHistory } from "../metrics/rate-history.ts";
import { errorText } from "../ui/error-text.ts";
import { Store } from "../ui/store.ts";
import { type MemberRow, type MemberStatus, memberRows } from "./member-rows.ts";

/** What the console last learned about the cluster. */
export interface ClusterSnapshot {
  /** The serving node's Status; undefined until it first answered. */
  readonly self: StatusResponse | undefined;
  readonly configuration: GetConfigurationResponse | undefined;
  readonly rows: readonly MemberRow[];
  /** Why the serving node did not answer the last poll; undefined when it did. */
  readonly connectionError: string | undefined;
  /** Wall-clock time of the last answer from the serving node. */
  readonly updatedAt: Date | undefined;
  readonly intervalMs: number;
}

const statusTimeoutMs = 1_500;
/** A member that could not be asked (down, or no CORS for this page) is asked again only after this. */
const unreachableRetryMs = 15_000;
/** Five minutes of history for the chart. */
const chartWindowMs = 5 * 60_000;

/**
 * Polls the serving node's Status and configuration, and each member's own
 * Status, every `intervalMs`; never two rounds at once. The banner, the
 * cluster table and the chart all read its snapshot.
 */
export class ClusterPoller {
  readonly snapshot: Store<ClusterSnapshot>;
  readonly history = new RateHistory(chartWindowMs);
  private readonly memberStatuses = new Map<string, MemberStatus>();
  private readonly retryMemberAt = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly connection: NodeConnection,
    intervalMs = 2_000,
  ) {
    this.snapshot = new Store<ClusterSnapshot>({
      self: undefined,
      configuration: undefined,
      rows: [],
      connectionError: undefined,
      updatedAt: undefined,
      intervalMs,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.pollNow();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  setInterval(intervalMs: number): void {
    this.snapshot.update((s) => ({ ...s, intervalMs }));
    void this.pollNow();
  }

  /** One round now (after an admin action, say), then the regular rhythm again. */
  pollNow(): Promise<void> {
    clearTimeout(this.timer);
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
      if (this.running) this.timer = setTimeout(() => void this.pollNow(), this.snapshot.get().intervalMs);
    });
    return this.polling;
  }

  private async poll(): Promise<void> {
    const client = this.connection.client;
    let self: StatusResponse;
    let configuration: GetConfigurationResponse;
    try {
      [self, configuration] = await Promise.all([client.status({ timeoutMs: statusTimeoutMs }), client.configuration({ timeoutMs: statusTimeoutMs })]);
    } catch (error) {
      this.snapshot.update((s) => ({ ...s, connectionError: errorText(error) }));
      return;
    }
    const figures = nodeFigures(self);
    this.history.add({ atMs: performance.now(), commitIndex: figures.commitIndex, readsTotal: figures.readsTotal });
    this.memberStatuses.set(self.id, { kind: "answered", status: self });
    await Promise.all(configuration.members.filter((m) => m.id !== self.id).map((m) => this.askMember(m.id, m.clientAddress)));
    for (const id of [...this.memberStatuses.keys()]) {
      if (!configuration.members.some((m) => m.id === id)) this.memberStatuses.delete(id);
    }
    this.snapshot.update((s) => ({
      ...s,
      self,
      configuration,
      rows: memberRows(configuration.members, self.leaderId, self.id, this.memberStatuses),
      connectionError: undefined,
      updatedAt: new Date(),
    }));
  }

  private async askMember(id: string, clientAddress: string): Promise<void> {
    if (clientAddress === "") {
      this.memberStatuses.set(id, { kind: "unreachable", error: "no client address recorded in the configuration" });
      return;
    }
    if ((this.retryMemberAt.get(id) ?? 0) > performance.now()) return;
    try {
      const status = await this.connection.memberCluster(clientAddress).status({}, { timeoutMs: statusTimeoutMs });
      this.memberStatuses.set(id, { kind: "answered", status });
      this.retryMemberAt.delete(id);
    } catch (error) {
      this.memberStatuses.set(id, { kind: "unreachable", error: errorText(error) });
      this.retryMemberAt.set(id, performance.now() + unreachableRetryMs);
    }
  }
}
