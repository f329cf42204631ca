import { Code, ConnectError } from "@connectrpc/connect";
import type { Limits } from "./limits.ts";

/** Every message names the field and the limit, so a client can fix the call. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

export function validateKey(field: string, key: Uint8Array, limits: Limits): void {
  if (key.length === 0) throw invalidArgument(field, "must not be empty");
  if (key.length > limits.maxKeyBytes) {
    throw invalidArgument(field, `is ${key.length} bytes, over the limit of ${limits.maxKeyBytes} bytes`);
  }
}

/** Bounds that may be empty (meaning "no bound") but never over the key limit. */
export function validateOptionalKey(field: string, key: Uint8Array, limits: Limits): void {
  if (key.length > limits.maxKeyBytes) {
    throw invalidArgument(field, `is ${key.length} bytes, over the limit of ${limits.maxKeyBytes} bytes`);
  }
}

export function validateValue(field: string, value: Uint8Array, limits: Limits): void {
  if (value.length > limits.maxValueBytes) {
    throw invalidArgument(field, `is ${value.length} bytes, over the limit of ${limits.maxValueBytes} bytes`);
  }
}

export function validateLimit(field: string, limit: number, limits: Limits): number {
  if (limit === 0) return limits.defaultPageSize;
  if (limit > limits.maxPageSize) {
    throw invalidArgument(field, `is ${limit}, over the maximum page size of ${limits.maxPageSize}; page with next_key`);
  }
  return limit;
}
