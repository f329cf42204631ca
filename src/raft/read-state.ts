/**
 * A released read: once the state machine has applied `index`, a read
 * issued with `requestId` may be served locally and is linearizable.
 */
export interface ReadState {
  readonly requestId: string;
  readonly index: number;
}
