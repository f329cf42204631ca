/** A node's role. A node outside the voter set acts as "learner" (never campaigns). */
export type Role = "follower" | "preCandidate" | "candidate" | "leader" | "learner";
