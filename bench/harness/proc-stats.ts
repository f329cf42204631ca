import { readFileSync } from "node:fs";

/** Linux reports process times in clock ticks; 100 per second on every common kernel config. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStats {
  /** User + system CPU seconds of every thread of the process so far. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** The kernel's own high-water mark of the resident set (VmHWM). */
  readonly peakRssBytes: number;
}

/** Reads /proc/<pid>/stat and /proc/<pid>/status; undefined once the process is gone. */
export function readProcStats(pid: number): ProcStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; the fields after its ")" do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return {
      cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
      rssBytes: statusKilobytes(status, "VmRSS") * 1024,
      peakRssBytes: statusKilobytes(status, "VmHWM") * 1024,
    };
  } catch {
    return undefined;
  }
}

function statusKilobytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}
