/**
 * The state a node must persist before it sends the messages that depend on
 * it (vote replies depend on term and vote; acks depend on the entries).
 */
export interface HardState {
  readonly term: number;
  /** Id of the node voted for in `term`; "" when none. */
  readonly vote: string;
  readonly commit: number;
}

export const emptyHardState: HardState = { term: 0, vote: "", commit: 0 };
