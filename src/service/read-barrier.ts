import type { Engine, ReadConsistency } from "../engine/engine.ts";
import { toConnectError } from "./engine-error-to-connect.ts";

/**
 * Waits until this node may serve a read at `consistency` (see
 * Engine.readBarrier) and resolves with the index to read at; the engine's
 * failures reach the client as the Connect error it can act on.
 */
export async function readBarrier(engine: Pick<Engine, "readBarrier">, consistency: ReadConsistency, signal: AbortSignal): Promise<number> {
  try {
    return await engine.readBarrier(consistency, signal);
  } catch (error) {
    throw toConnectError(error);
  }
}
