/** Figures as an operator reads them; undefined is always "n/a" (not reported, or not reachable). */
export function count(value: bigint | number | undefined): string {
  return value === undefined ? "n/a" : value.toLocaleString("en-US");
}

export function bytes(value: bigint | undefined): string {
  if (value === undefined) return "n/a";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = Number(value);
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}

export function milliseconds(value: number | bigint | undefined): string {
  if (value === undefined) return "n/a";
  const n = Number(value);
  if (n >= 1000) return `${(n / 1000).toFixed(1)} s`;
  return `${Number.isInteger(n) ? n : n.toFixed(n < 10 ? 2 : 1)} ms`;
}

/** Last contact as Status reports it: 0 on the leader, -1 when the node never heard from one. */
export function lastContact(ms: bigint | undefined, isLeader: boolean): string {
  if (ms === undefined) return "n/a";
  if (isLeader && ms === 0n) return "— (leader)";
  if (ms < 0n) return "never";
  return `${milliseconds(ms)} ago`;
}
