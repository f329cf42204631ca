import { useEffect, useRef, useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import { EventType } from "../../../src/gen/raftkv/v1/kv_pb.ts";
import { keyLabel, textBytes, utf8OrUndefined } from "../keys/key-text.ts";
import { errorText } from "../ui/error-text.ts";

interface ShownEvent {
  readonly id: number;
  readonly type: "PUT" | "DELETE";
  readonly key: string;
  readonly index: bigint;
  readonly value: string;
  readonly at: string;
}

type WatchState =
  | { readonly kind: "stopped" }
  | { readonly kind: "watching"; readonly since: bigint }
  | { readonly kind: "reconnecting"; readonly why: string }
  | { readonly kind: "ended"; readonly why: string };

/** The newest events kept on screen. */
const keptEvents = 200;

/**
 * A live watch on a prefix (KV.Watch over gRPC-Web, server streaming). The
 * client resumes it after a dropped connection from the last index it
 * delivered, so no change is missed or shown twice.
 */
export function WatchView(props: { readonly client: RaftkvClient }) {
  const [prefix, setPrefix] = useState("");
  const [state, setState] = useState<WatchState>({ kind: "stopped" });
  const [events, setEvents] = useState<readonly ShownEvent[]>([]);
  const stopper = useRef<AbortController | undefined>(undefined);
  const nextId = useRef(0);

  const stop = (): void => {
    stopper.current?.abort();
    stopper.current = undefined;
    setState({ kind: "stopped" });
  };
  useEffect(() => () => stopper.current?.abort(), []);

  const start = async (): Promise<void> => {
    stopper.current?.abort();
    const controller = new AbortController();
    stopper.current = controller;
    setEvents([]);
    try {
      for await (const update of props.client.watch({ key: textBytes(prefix), prefix: true }, { signal: controller.signal })) {
        switch (update.kind) {
          case "connected":
            setState({ kind: "watching", since: update.startIndex });
            break;
          case "reconnecting":
            setState({ kind: "reconnecting", why: errorText(update.error) });
            break;
          case "events": {
            const at = new Date().toLocaleTimeString();
            const shown = update.events.map((event): ShownEvent => {
              const kv = event.kv;
              const value = kv === undefined ? "" : (utf8OrUndefined(kv.value) ?? `${kv.value.length} bytes of binary`);
              return {
                id: nextId.current++,
                type: event.type === EventType.DELETE ? "DELETE" : "PUT",
                key: kv === undefined ? "" : keyLabel(kv.key),
                index: kv?.modIndex ?? update.index,
                value: value.length > 200 ? `${value.slice(0, 200)}…` : value,
                at,
              };
            });
            setEvents((before) => [...shown.reverse(), ...before].slice(0, keptEvents));
            setState((s) => (s.kind === "reconnecting" ? { kind: "watching", since: update.index } : s));
            break;
          }
          case "progress":
          case "resynced":
            break;
          case "compacted":
            setState({ kind: "ended", why: `history compacted (oldest index ${update.compactIndex}); start again` });
            return;
          case "abandoned":
            setState({ kind: "ended", why: `the node restored a snapshot at index ${update.restoredIndex}; start again` });
            return;
          default: {
            const unreachable: never = update;
            throw new Error(`unknown watch update ${JSON.stringify(unreachable)}`);
          }
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) setState({ kind: "ended", why: errorText(error) });
    }
  };

  const watching = state.kind === "watching" || state.kind === "reconnecting";
  return (
    <div class="view watch-view" data-testid="watch-view">
      <form
        class="watch-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label>
          prefix <input data-testid="watch-prefix" value={prefix} placeholder="(every key)" onInput={(e) => setPrefix(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" data-testid="watch-start">
          {watching ? "Restart" : "Watch"}
        </button>
        <button type="button" data-testid="watch-stop" disabled={!watching} onClick={stop}>
          Stop
        </button>
        <span class={`watch-state ${state.kind}`} data-testid="watch-state">
          {state.kind === "stopped" ? "not watching" : null}
          {state.kind === "watching" ? "watching live" : null}
          {state.kind === "reconnecting" ? `connection lost, resuming… (${state.why})` : null}
          {state.kind === "ended" ? `ended: ${state.why}` : null}
        </span>
      </form>
      <table class="events" data-testid="watch-events">
        <thead>
          <tr>
            <th>time</th>
            <th>event</th>
            <th>key</th>
            <th>mod index</th>
            <th>value</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id} data-testid="watch-event" data-key={event.key} class={event.type === "DELETE" ? "deleted" : undefined}>
              <td>{event.at}</td>
              <td>{event.type}</td>
              <td>{event.key}</td>
              <td>{String(event.index)}</td>
              <td class="value-cell">{event.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {events.length === 0 && watching ? <p class="note">No changes yet.</p> : null}
    </div>
  );
}
