import type { ClusterSnapshot } from "../cluster/cluster-poller.ts";

/**
 * What an operator must see first: the node this page talks to is not
 * answering, or it knows no leader (quorum lost, or an election going on).
 * Both clear by themselves once a poll finds things well again.
 */
export function StatusBanner(props: { readonly snapshot: ClusterSnapshot; readonly nodeUrl: string }) {
  const { snapshot } = props;
  if (snapshot.connectionError !== undefined) {
    return (
      <div class="banner error" role="alert" data-testid="banner-connection">
        <b>Connection to the node lost.</b> {props.nodeUrl} does not answer ({snapshot.connectionError}). Retrying every {snapshot.intervalMs / 1000} s
        {snapshot.updatedAt === undefined ? "" : `; figures below are from ${snapshot.updatedAt.toLocaleTimeString()}`}.
      </div>
    );
  }
  const self = snapshot.self;
  if (self !== undefined && self.leaderId === "") {
    return (
      <div class="banner warn" role="alert" data-testid="banner-quorum">
        <b>No leader.</b> Node {self.id} ({self.state}, term {String(self.term)}) knows no leader: the cluster has lost its quorum or is electing one. Writes
        and linearizable reads fail until a leader is elected.
      </div>
    );
  }
  return null;
}
