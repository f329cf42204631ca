/**
 * `serve` flags with short Raft timings for loopback tests of real processes
 * on a loaded machine: elections within about a second.
 */
export const fastRaftArgs = ["--heartbeat-timeout", "500ms", "--election-timeout", "500ms", "--leader-lease-timeout", "250ms"] as const;
