import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.ts";

/** How the node is doing, asked at every Check and every Watch poll. */
export interface HealthProbes {
  /** Ready to serve linearizable reads (see evaluateReadiness). */
  ready(): boolean;
  /** Alive: false once the engine stopped after a fatal storage error. */
  live(): boolean;
}

const alwaysServing: HealthProbes = { ready: () => true, live: () => true };

/** How often an open Watch looks again (readiness changes are not events). */
const WATCH_POLL_MS = 1000;

/**
 * Serving status for grpc.health.v1. The empty service "" is the whole
 * node's readiness (NOT_SERVING without a leader a quorum follows, behind on
 * applying, with an unwritable data dir), as etcd reports it; each service
 * name ("raftkv.v1.KV", ...) is liveness: SERVING unless the engine stopped
 * on a storage failure. Shutdown flips everything to NOT_SERVING so load
 * balancers drain the node before its port closes.
 */
export class HealthState {
  private shuttingDown = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly serviceNames: readonly string[],
    private readonly probes: HealthProbes = alwaysServing,
  ) {}

  statusOf(service: string): ServingStatus | undefined {
    if (service !== "" && !this.serviceNames.includes(service)) return undefined;
    if (this.shuttingDown || !this.probes.live()) return ServingStatus.NOT_SERVING;
    if (service === "" && !this.probes.ready()) return ServingStatus.NOT_SERVING;
    return ServingStatus.SERVING;
  }

  /** false: the node is shutting down (every service NOT_SERVING from now on). */
  setServing(serving: boolean): void {
    if (this.shuttingDown === !serving) return;
    this.shuttingDown = !serving;
    for (const listener of this.listeners) listener();
  }

  /** Calls `listener` on every change until `signal` aborts. */
  onChange(listener: () => void, signal: AbortSignal): void {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener), { once: true });
  }
}

export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = state.statusOf(request.service);
      if (status === undefined) throw new ConnectError(`service: unknown service ${JSON.stringify(request.service)}`, Code.NotFound);
      return { status };
    },
    async *watch(request, context) {
      let last: ServingStatus | undefined;
      let wake: (() => void) | undefined;
      state.onChange(() => wake?.(), context.signal);
      context.signal.addEventListener("abort", () => wake?.(), { once: true });
      while (!context.signal.aborted) {
        // Per the protocol, an unknown service is reported (not an error) and may appear later.
        const status = state.statusOf(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield { status };
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, WATCH_POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}
