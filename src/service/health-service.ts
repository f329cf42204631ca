import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.ts";

/**
 * Serving status for grpc.health.v1: "" (the whole node) and each service
 * name. Shutdown flips everything to NOT_SERVING so load balancers drain the
 * node before its port closes; so does an engine that stopped for good.
 */
export class HealthState {
  private serving = true;
  private stoppedReason: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(readonly serviceNames: readonly string[]) {}

  statusOf(service: string): ServingStatus | undefined {
    if (service !== "" && !this.serviceNames.includes(service)) return undefined;
    return this.serving && this.stoppedReason === undefined ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Why the node can no longer serve (its engine stopped on a failure); undefined while it can. */
  get stopped(): string | undefined {
    return this.stoppedReason;
  }

  /**
   * The node cannot serve any more (a storage failure stopped its engine):
   * NOT_SERVING from now on and /healthz fails, so a supervisor restarts it
   * and a load balancer stops sending it requests. A process that cannot
   * serve must not look alive.
   */
  markStopped(reason: string): void {
    if (this.stoppedReason !== undefined) return;
    this.stoppedReason = reason;
    for (const listener of this.listeners) listener();
  }

  setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
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
          wake = resolve;
        });
      }
    },
  };
}
