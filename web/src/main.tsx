import { render } from "preact";
import { ConsoleApp } from "./app/console-app.tsx";
import { ClusterPoller } from "./cluster/cluster-poller.ts";
import { NodeConnection } from "./connection/node-connection.ts";

/**
 * The raftkv console: served by a node at `/`, talking to that node (and, for
 * per-member figures, to each member) only through the public RPC services
 * over gRPC-Web.
 */
const connection = NodeConnection.forPage(window.location);
const poller = new ClusterPoller(connection);
poller.start();
render(<ConsoleApp connection={connection} poller={poller} />, document.getElementById("app") ?? document.body);
