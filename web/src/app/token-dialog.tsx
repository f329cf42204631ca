import { useState } from "preact/hooks";
import type { AuthToken } from "../connection/auth-token.ts";
import { useStore } from "../ui/store.ts";

/**
 * Asks for the bearer token when the node answers UNAUTHENTICATED (or when
 * the operator opens it). Without a token the console keeps showing what it
 * can read.
 */
export function TokenDialog(props: { readonly auth: AuthToken; readonly open: boolean; readonly onClose: () => void }) {
  const state = useStore(props.auth.state);
  const [draft, setDraft] = useState(state.token);
  if (!props.open && !state.tokenRequested) return null;
  const close = (): void => {
    props.auth.dismiss();
    props.onClose();
  };
  return (
    <div class="modal-backdrop">
      <div class="modal" role="dialog" aria-modal="true" aria-label="Access token" data-testid="token-dialog">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            props.auth.set(draft);
            props.onClose();
          }}
        >
          <h2>Access token</h2>
          {state.tokenRequested ? <p class="outcome error">The node asks for authentication (unauthenticated).</p> : null}
          <p>
            Sent as <code>authorization: Bearer …</code> with every call from this tab, and kept only until the tab is closed. Leave it empty to send none.
          </p>
          <input data-testid="token-input" type="password" autocomplete="off" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          <div class="modal-buttons">
            <button type="button" onClick={close}>
              Continue without
            </button>
            <button type="submit" class="primary" data-testid="token-save">
              Use token
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
