const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 9540000 → "9.1 MiB": for messages and tables; exact counts go beside it where they matter. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** "8GiB", "512MiB", "1.5GB", "1000000" → bytes; throws naming the flag. */
export function parseBytes(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$/i.exec(text);
  if (match === null) throw new Error(`--${flag}: expected a size such as 8GiB, 512MiB or 1000000 (bytes), got ${JSON.stringify(text)}`);
  const number = Number(match[1]);
  const suffix = (match[2] ?? "b").toLowerCase();
  const binary = suffix.includes("i") || suffix.length === 1;
  const power = "bkmgt".indexOf(suffix[0] ?? "b");
  const bytes = Math.round(number * (binary ? 1024 : 1000) ** power);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new Error(`--${flag}: ${JSON.stringify(text)} is not a positive size in bytes`);
  return bytes;
}
