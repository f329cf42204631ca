import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorText } from "./error-text.ts";

/** An action that needs the operator's yes, and what to say about its outcome. */
export interface ConfirmRequest {
  readonly title: string;
  readonly detail: ComponentChildren;
  readonly confirmLabel: string;
  /** Runs on confirm; resolves with the line to show, or throws the server's error. */
  readonly run: () => Promise<string>;
}

/** The outcome shown after a confirmed action: the server's answer or its error. */
export interface Outcome {
  readonly ok: boolean;
  readonly text: string;
}

/**
 * A modal that states exactly what will happen, runs it on confirm (the
 * buttons stay disabled meanwhile) and hands back the outcome.
 */
export function ConfirmDialog(props: { readonly request: ConfirmRequest; readonly onDone: (outcome: Outcome | undefined) => void }) {
  const [running, setRunning] = useState(false);
  const confirm = async (): Promise<void> => {
    setRunning(true);
    try {
      const text = await props.request.run();
      props.onDone({ ok: true, text });
    } catch (error) {
      props.onDone({ ok: false, text: errorText(error) });
    }
  };
  return (
    <div class="modal-backdrop">
      <div class="modal" role="dialog" aria-modal="true" aria-label={props.request.title} data-testid="confirm-dialog">
        <h2>{props.request.title}</h2>
        <div class="modal-body">{props.request.detail}</div>
        <div class="modal-buttons">
          <button type="button" data-testid="confirm-cancel" disabled={running} onClick={() => props.onDone(undefined)}>
            Cancel
          </button>
          <button type="button" class="primary" data-testid="confirm-ok" disabled={running} onClick={() => void confirm()}>
            {running ? "Working…" : props.request.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

/** The last outcome, as a line the operator can read (and a test can find). */
export function OutcomeLine(props: { readonly outcome: Outcome | undefined; readonly testId: string }) {
  if (props.outcome === undefined) return null;
  return (
    <p class={props.outcome.ok ? "outcome ok" : "outcome error"} data-testid={props.testId} role="status">
      {props.outcome.text}
    </p>
  );
}
