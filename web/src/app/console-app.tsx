import { useEffect, useState } from "preact/hooks";
import type { ClusterPoller } from "../cluster/cluster-poller.ts";
import { ClusterView } from "../cluster/cluster-view.tsx";
import type { NodeConnection } from "../connection/node-connection.ts";
import { KeysView } from "../keys/keys-view.tsx";
import { useStore } from "../ui/store.ts";
import { WatchView } from "../watch/watch-view.tsx";
import { StatusBanner } from "./status-banner.tsx";
import { TokenDialog } from "./token-dialog.tsx";

type ViewName = "cluster" | "keys" | "watch";
const views: readonly { readonly name: ViewName; readonly title: string }[] = [
  { name: "cluster", title: "Cluster" },
  { name: "keys", title: "Keys" },
  { name: "watch", title: "Watch" },
];

function viewOf(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, "");
  return views.find((v) => v.name === name)?.name ?? "cluster";
}

/** The page: which node, its role and the leader; the views; the banner and the token prompt above all. */
export function ConsoleApp(props: { readonly connection: NodeConnection; readonly poller: ClusterPoller }) {
  const [view, setView] = useState<ViewName>(viewOf(location.hash));
  const [tokenOpen, setTokenOpen] = useState(false);
  const snapshot = useStore(props.poller.snapshot);
  const auth = useStore(props.connection.auth.state);
  useEffect(() => {
    const follow = (): void => setView(viewOf(location.hash));
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const self = snapshot.self;
  return (
    <div class="console">
      <header>
        <h1>raftkv</h1>
        <nav>
          {views.map((v) => (
            <a key={v.name} href={`#/${v.name}`} class={v.name === view ? "active" : undefined} data-testid={`nav-${v.name}`}>
              {v.title}
            </a>
          ))}
        </nav>
        <div class="node" data-testid="serving-node">
          node <b>{self?.id ?? "…"}</b> {self === undefined ? null : <span class={`role ${self.state}`}>{self.state}</span>} at {props.connection.pageHost}
        </div>
        <button type="button" class="link" data-testid="token-button" onClick={() => setTokenOpen(true)}>
          {auth.token === "" ? "Token…" : "Token ✓"}
        </button>
      </header>
      <StatusBanner snapshot={snapshot} nodeUrl={props.connection.baseUrl} />
      <main>
        {view === "cluster" ? <ClusterView connection={props.connection} poller={props.poller} /> : null}
        {view === "keys" ? <KeysView client={props.connection.client} /> : null}
        {view === "watch" ? <WatchView client={props.connection.client} /> : null}
      </main>
      <TokenDialog auth={props.connection.auth} open={tokenOpen} onClose={() => setTokenOpen(false)} />
    </div>
  );
}
