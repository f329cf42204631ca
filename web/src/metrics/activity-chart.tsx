import type { ClusterSnapshot } from "../cluster/cluster-poller.ts";
import type { RateHistory } from "./rate-history.ts";
import { Sparkline } from "./sparkline.tsx";

/**
 * Writes/s, reads/s and the commit index of the serving node over the last
 * minutes, one point per poll. Writes/s is the commit index's rate; reads/s
 * waits for a reads counter in Cluster.Status (see node-figures.ts).
 */
export function ActivityChart(props: { readonly history: RateHistory; readonly snapshot: ClusterSnapshot }) {
  const points = props.history.points();
  const nowMs = points.at(-1)?.atMs ?? 0;
  const windowMs = props.history.windowMs;
  const readsReported = points.some((p) => p.readsPerSecond !== undefined);
  return (
    <section class="activity" data-testid="activity-chart">
      <h2>
        Activity on this node{" "}
        <small>
          (last {windowMs / 60_000} minutes, a point every {props.snapshot.intervalMs / 1000} s)
        </small>
      </h2>
      <div class="charts">
        <Sparkline
          testId="chart-writes"
          windowMs={windowMs}
          nowMs={nowMs}
          series={{ label: "writes/s (commit index rate)", unit: "/s", points: points.map((p) => ({ atMs: p.atMs, value: p.writesPerSecond })) }}
        />
        <Sparkline
          testId="chart-reads"
          windowMs={windowMs}
          nowMs={nowMs}
          series={{
            label: "reads/s",
            unit: "/s",
            points: points.map((p) => ({ atMs: p.atMs, value: p.readsPerSecond })),
            ...(readsReported ? {} : { unavailable: "n/a: the node does not report reads yet" }),
          }}
        />
        <Sparkline
          testId="chart-commit"
          windowMs={windowMs}
          nowMs={nowMs}
          series={{ label: "commit index", unit: "", points: points.map((p) => ({ atMs: p.atMs, value: Number(p.commitIndex) })) }}
        />
      </div>
    </section>
  );
}
