import type { Role } from "./role.ts";

/** Observations for the engine's observers (hashicorp-style). */
export type RaftEvent =
  | { readonly kind: "roleChanged"; readonly role: Role; readonly term: number }
  | { readonly kind: "leaderChanged"; readonly leader: string; readonly term: number }
  | { readonly kind: "peerUnreachable"; readonly peer: string }
  | { readonly kind: "peerReachable"; readonly peer: string }
  | { readonly kind: "leadershipTransferFinished"; readonly target: string; readonly succeeded: boolean }
  | { readonly kind: "nonvoterPromoted"; readonly peer: string; readonly index: number }
  /** A peer answered that it lacks entries it acknowledged before (its log was lost or cut short): it is probed back or sent a snapshot. */
  | { readonly kind: "peerLogRegressed"; readonly peer: string; readonly acknowledged: number; readonly holds: number };
