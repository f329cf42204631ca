/** A node's role. A node outside the voter set acts as "learner" (never campaigns). */
export type Role = "follower" | "precandidate" | "candidate" | "leader" | "learner";
