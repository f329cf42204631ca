// The write path's public surface: the one propose-or-forward step, the forwarder it sends through, and the checks made before proposing.

export { LeaderForwarder, type MemberDial } from "./leader-forwarder.ts";
export { leaderRefusal } from "./leader-refusal.ts";
export { refuseIfOverQuota } from "./quota-check.ts";
export { type LeaderCall, type WriteEngine, WritePath } from "./write-path.ts";
