/**
 * A port the kernel just handed out on 127.0.0.1. Only for ports that must be
 * known before a process starts (Raft peer addresses in --initial-cluster);
 * client ports are read back from the node itself after it bound port 0.
 */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}
