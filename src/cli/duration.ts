const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration flag in milliseconds: `500ms`, `1s`, `2m`, `1h`, or a bare
 * number of milliseconds (as hashicorp/raft's and etcd's users write them).
 */
export function parseDurationMs(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const amount = match?.[1];
  if (match === null || amount === undefined) {
    throw new Error(`--${flag}: expected a duration such as 500ms, 1s or 2m, got ${JSON.stringify(text)}`);
  }
  const ms = Number(amount) * (unitMs[match[2] ?? "ms"] ?? 1);
  if (!Number.isFinite(ms) || ms <= 0 || !Number.isSafeInteger(Math.round(ms))) {
    throw new Error(`--${flag}: must be a positive duration, got ${JSON.stringify(text)}`);
  }
  return Math.round(ms);
}
