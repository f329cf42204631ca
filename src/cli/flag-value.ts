/**
 * A flag's value: the command line wins, then the RAFTKV_* variable, then the
 * default. Defaults are not given to citty so that "not passed" stays visible.
 */
export function flagValue(value: string | undefined, flag: string, fallback: string): string {
  if (value !== undefined && value !== "") return value;
  const fromEnv = process.env[envName(flag)];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return fallback;
}

/** `--data-dir` → `RAFTKV_DATA_DIR`. */
export function envName(flag: string): string {
  return `RAFTKV_${flag.replace(/^-+/, "").replace(/-/g, "_").toUpperCase()}`;
}

export function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`--${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}
