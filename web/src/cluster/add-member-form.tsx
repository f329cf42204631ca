import { useState } from "preact/hooks";
import type { NewMember } from "./admin-requests.tsx";

/** The fields of AddVoter/AddNonvoter; the server validates them and says what is wrong. */
export function AddMemberForm(props: { readonly onSubmit: (member: NewMember) => void; readonly busy: boolean }) {
  const [id, setId] = useState("");
  const [raftAddress, setRaftAddress] = useState("");
  const [clientAddress, setClientAddress] = useState("");
  const [voter, setVoter] = useState(true);
  return (
    <form
      class="add-member"
      data-testid="add-member-form"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit({ id: id.trim(), raftAddress: raftAddress.trim(), clientAddress: clientAddress.trim(), voter });
      }}
    >
      <label>
        id <input value={id} required placeholder="n4" onInput={(e) => setId(e.currentTarget.value)} />
      </label>
      <label>
        raft address <input value={raftAddress} required placeholder="127.0.0.1:50054" onInput={(e) => setRaftAddress(e.currentTarget.value)} />
      </label>
      <label>
        client address <input value={clientAddress} placeholder="127.0.0.1:40054" onInput={(e) => setClientAddress(e.currentTarget.value)} />
      </label>
      <label>
        <select value={voter ? "voter" : "nonvoter"} onChange={(e) => setVoter(e.currentTarget.value === "voter")}>
          <option value="voter">voter</option>
          <option value="nonvoter">nonvoter</option>
        </select>
      </label>
      <button type="submit" disabled={props.busy}>
        Add member…
      </button>
    </form>
  );
}
