import { Code, ConnectError } from "@connectrpc/connect";

/**
 * One line for an operator: the Connect code as the API docs and the CLI
 * name it, then the server's own words (a write whose outcome is unknown
 * says so in its message).
 */
export function errorText(error: unknown): string {
  if (error instanceof ConnectError) return `${codeName(error.code)}: ${error.rawMessage}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** `Code.FailedPrecondition` → `failed_precondition`. */
export function codeName(code: Code): string {
  return (Code[code] ?? `code ${code}`).replace(/[A-Z]/g, (c, at: number) => (at === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}
