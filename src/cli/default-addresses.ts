/** Where a node listens when no flag says otherwise, and where a client command looks for one. */
export const DEFAULT_CLIENT_ADDRESS = "127.0.0.1:40051";
export const DEFAULT_RAFT_ADDRESS = "127.0.0.1:50051";
