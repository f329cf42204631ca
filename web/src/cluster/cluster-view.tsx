import { useState } from "preact/hooks";
import type { NodeConnection } from "../connection/node-connection.ts";
import { ActivityChart } from "../metrics/activity-chart.tsx";
import { ConfirmDialog, type ConfirmRequest, type Outcome, OutcomeLine } from "../ui/confirm-dialog.tsx";
import { count } from "../ui/format.ts";
import { useStore } from "../ui/store.ts";
import { AddMemberForm } from "./add-member-form.tsx";
import { addRequest, demoteRequest, removeRequest, snapshotRequest, transferRequest } from "./admin-requests.tsx";
import type { ClusterPoller } from "./cluster-poller.ts";
import type { MemberRow } from "./member-rows.ts";
import { type MemberActions, MemberTable } from "./member-table.tsx";

const intervals = [1_000, 2_000, 5_000, 10_000];

/** Members, their figures and the admin actions; the activity chart below. */
export function ClusterView(props: { readonly connection: NodeConnection; readonly poller: ClusterPoller }) {
  const snapshot = useStore(props.poller.snapshot);
  const [pending, setPending] = useState<ConfirmRequest | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const prevIndex = snapshot.configuration?.index ?? 0n;
  const { connection } = props;
  const clusterOf = (row: MemberRow) => (row.serving ? connection.cluster : connection.memberCluster(row.clientAddress));
  const ask = (request: ConfirmRequest): void => {
    setOutcome(undefined);
    setPending(request);
  };
  const self = snapshot.self;
  return (
    <div class="view cluster-view" data-testid="cluster-view">
      <section class="summary">
        <div>
          leader <b data-testid="leader-id">{self?.leaderId === "" ? "none" : (self?.leaderId ?? "…")}</b>
        </div>
        <div>term {count(self?.term)}</div>
        <div>commit {count(self?.commitIndex)}</div>
        <div>configuration index {count(snapshot.configuration?.index)}</div>
        <div class="refresh">
          refreshing every{" "}
          <select data-testid="poll-interval" value={String(snapshot.intervalMs)} onChange={(e) => props.poller.setInterval(Number(e.currentTarget.value))}>
            {intervals.map((ms) => (
              <option key={ms} value={String(ms)}>
                {ms / 1000} s
              </option>
            ))}
          </select>
          {snapshot.updatedAt === undefined ? null : <span class="updated"> · updated {snapshot.updatedAt.toLocaleTimeString()}</span>}
        </div>
      </section>
      <section class="admin">
        <button
          type="button"
          data-testid="transfer-leadership"
          disabled={pending !== undefined}
          onClick={() => ask(transferRequest(connection.cluster, undefined))}
        >
          Transfer leadership…
        </button>
        <AddMemberForm busy={pending !== undefined} onSubmit={(member) => ask(addRequest(connection.cluster, member, prevIndex))} />
      </section>
      <OutcomeLine outcome={outcome} testId="admin-outcome" />
      <MemberTableSection
        rows={snapshot.rows}
        busy={pending !== undefined}
        actions={{
          makeLeader: (row) => ask(transferRequest(connection.cluster, row)),
          demote: (row) => ask(demoteRequest(connection.cluster, row, prevIndex)),
          remove: (row) => ask(removeRequest(connection.cluster, row, prevIndex)),
          snapshot: (row) => ask(snapshotRequest(clusterOf(row), row)),
        }}
      />
      <ActivityChart history={props.poller.history} snapshot={snapshot} />
      {pending === undefined ? null : (
        <ConfirmDialog
          request={pending}
          onDone={(done) => {
            setPending(undefined);
            setOutcome(done);
            if (done !== undefined) void props.poller.pollNow();
          }}
        />
      )}
    </div>
  );
}

function MemberTableSection(props: { readonly rows: readonly MemberRow[]; readonly actions: MemberActions; readonly busy: boolean }) {
  if (props.rows.length === 0) return <p class="note">Waiting for the node's configuration…</p>;
  return <MemberTable rows={props.rows} actions={props.actions} busy={props.busy} />;
}
