import { readProcStats } from "./proc-stats.ts";

/** One server node's resource use over a measured window. */
export interface NodeResources {
  readonly nodeId: string;
  readonly cpuSeconds: number;
  /** Largest resident set seen by sampling during the window. */
  readonly peakRssBytes: number;
}

export interface MonitoredNode {
  readonly nodeId: string;
  readonly pid: number;
}

interface WindowState {
  readonly cpuAtStart: Map<number, number>;
  readonly peakRss: Map<number, number>;
}

/**
 * Samples the servers' /proc entries a few times a second while a workload
 * runs: CPU seconds are the difference between the window's ends, peak RSS
 * the largest sample in between.
 */
export class ResourceMonitor {
  private window: WindowState | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly nodes: readonly MonitoredNode[],
    private readonly intervalMs = 200,
  ) {}

  begin(): void {
    const cpuAtStart = new Map<number, number>();
    const peakRss = new Map<number, number>();
    for (const node of this.nodes) {
      const stats = readProcStats(node.pid);
      cpuAtStart.set(node.pid, stats?.cpuSeconds ?? 0);
      peakRss.set(node.pid, stats?.rssBytes ?? 0);
    }
    this.window = { cpuAtStart, peakRss };
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  end(): NodeResources[] {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const window = this.window;
    this.window = undefined;
    if (window === undefined) throw new Error("resource monitor: end() without begin()");
    return this.nodes.map((node) => {
      const stats = readProcStats(node.pid);
      return {
        nodeId: node.nodeId,
        cpuSeconds: round3((stats?.cpuSeconds ?? 0) - (window.cpuAtStart.get(node.pid) ?? 0)),
        peakRssBytes: window.peakRss.get(node.pid) ?? 0,
      };
    });
  }

  private sample(): void {
    const window = this.window;
    if (window === undefined) return;
    for (const node of this.nodes) {
      const rss = readProcStats(node.pid)?.rssBytes ?? 0;
      if (rss > (window.peakRss.get(node.pid) ?? 0)) window.peakRss.set(node.pid, rss);
    }
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
