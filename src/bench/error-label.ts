import { Code, ConnectError } from "@connectrpc/connect";
import { status } from "@grpc/grpc-js";
import { GrpcCallError } from "./http2-grpc-caller.ts";

/** A short, stable label for a client-side failure, used to count errors by kind. */
export function errorLabel(error: unknown): string {
  if (error instanceof GrpcCallError) return status[error.grpcStatus] ?? `grpc status ${error.grpcStatus}`;
  if (error instanceof ConnectError) return Code[error.code] ?? `code ${error.code}`;
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "number") {
    return status[error.code] ?? `grpc status ${error.code}`;
  }
  if (error instanceof Error) return error.name;
  return "unknown";
}
