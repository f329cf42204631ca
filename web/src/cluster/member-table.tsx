import type { NodeFigures } from "../metrics/node-figures.ts";
import { bytes, count, lastContact, milliseconds } from "../ui/format.ts";
import type { MemberRow } from "./member-rows.ts";

export interface MemberActions {
  readonly makeLeader: (row: MemberRow) => void;
  readonly demote: (row: MemberRow) => void;
  readonly remove: (row: MemberRow) => void;
  readonly snapshot: (row: MemberRow) => void;
}

/** Size in use against the quota, as etcd users read `db size / quota`; n/a until the node reports them. */
function dbSize(figures: NodeFigures | undefined) {
  if (figures?.dbSizeBytes === undefined) return <span class="na">n/a</span>;
  const quota = figures.quotaBytes;
  const share = quota === undefined || quota === 0n ? undefined : Number(figures.dbSizeBytes) / Number(quota);
  return (
    <span title={figures.dbSizeInUseBytes === undefined ? undefined : `${bytes(figures.dbSizeInUseBytes)} in use`}>
      {bytes(figures.dbSizeBytes)} / {bytes(quota)}
      {share === undefined ? null : <meter min={0} max={1} low={0.7} high={0.9} value={share} />}
    </span>
  );
}

function unreachableNote(row: MemberRow) {
  if (row.status.kind !== "unreachable") return null;
  return (
    <div class="note" data-testid="member-unreachable">
      not reachable from this page: {row.status.error}. A member answers a page served by another member only when its --cors-allowed-origins lists this page's
      origin.
    </div>
  );
}

/** One row per member; the leader's row stands out. */
export function MemberTable(props: { readonly rows: readonly MemberRow[]; readonly actions: MemberActions; readonly busy: boolean }) {
  return (
    <table class="members" data-testid="member-table">
      <thead>
        <tr>
          <th>member</th>
          <th>role</th>
          <th>suffrage</th>
          <th>term</th>
          <th>commit</th>
          <th>applied</th>
          <th>lag</th>
          <th>last contact</th>
          <th>db size / quota</th>
          <th>fsync p99</th>
          <th>addresses</th>
          <th>actions</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={row.id} class={row.leader ? "leader" : undefined} data-testid="member-row" data-member={row.id} data-leader={String(row.leader)}>
            <td>
              <b>{row.id}</b>
              {row.serving ? <span class="tag">this node</span> : null}
              {unreachableNote(row)}
            </td>
            <td data-testid="member-role">
              {row.leader ? <span class="badge leader-badge">★ leader</span> : null}{" "}
              {/* The member's own word on its role, when it is not simply "leader" beside the badge (a partitioned old leader shows here). */}
              {row.leader && row.state === "leader" ? null : (row.state ?? (row.leader ? null : <span class="na">n/a</span>))}
            </td>
            <td>{row.suffrage}</td>
            <td>{count(row.term)}</td>
            <td>{count(row.figures?.commitIndex)}</td>
            <td>{count(row.figures?.appliedIndex)}</td>
            <td class={row.lag !== undefined && row.lag > 100n ? "warn" : undefined}>{count(row.lag)}</td>
            <td>{lastContact(row.lastContactMs, row.state === "leader")}</td>
            <td data-testid="member-db">{dbSize(row.figures)}</td>
            <td data-testid="member-fsync">{row.figures?.fsyncP99Ms === undefined ? <span class="na">n/a</span> : milliseconds(row.figures.fsyncP99Ms)}</td>
            <td class="addresses">
              <div>client {row.clientAddress || "—"}</div>
              <div>raft {row.raftAddress}</div>
            </td>
            <td class="actions">
              {!row.leader && row.suffrage === "voter" ? (
                <button type="button" data-testid="make-leader" disabled={props.busy} onClick={() => props.actions.makeLeader(row)}>
                  Make leader
                </button>
              ) : null}
              {row.suffrage === "voter" ? (
                <button type="button" data-testid="demote" disabled={props.busy} onClick={() => props.actions.demote(row)}>
                  Demote
                </button>
              ) : null}
              <button type="button" data-testid="remove" class="danger" disabled={props.busy} onClick={() => props.actions.remove(row)}>
                Remove
              </button>
              <button type="button" data-testid="snapshot" disabled={props.busy} onClick={() => props.actions.snapshot(row)}>
                Snapshot
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
