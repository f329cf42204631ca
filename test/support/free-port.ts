import { readFileSync } from "node:fs";

const handedOut = new Set<number>();

/** The kernel's ephemeral range (ports it gives to port-0 listeners and outgoing connections). */
function ephemeralRange(): readonly [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: the IANA range.
  }
  return [49152, 65535];
}

function bindable(port: number): boolean {
  try {
    const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    server.stop(true);
    return true;
  } catch {
    return false;
  }
}

/**
 * A free port on 127.0.0.1 for a process to listen on later. Only for ports
 * that must be known before a process starts (Raft peer addresses in
 * --initial-cluster); client ports are read back from the node itself after
 * it bound port 0.
 *
 * Chosen below the kernel's ephemeral range: a port the kernel handed out
 * for port 0 goes back to that pool the moment it is closed, and any
 * outgoing connection made before the node starts can take it
 * (EADDRINUSE, seen on a busy machine). Below the range only another such
 * choice can collide, and this process never hands out a port twice.
 */
export function freePort(): number {
  const [ephemeralLow] = ephemeralRange();
  const low = 10_000;
  const high = Math.max(low + 1000, ephemeralLow - 1);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !bindable(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${low}-${high}`);
}
