import type { Member } from "../raft/membership.ts";
import { incarnationOf } from "../raft/membership-codec.ts";
import type { LogStore } from "./log-store.ts";

const PIN_PREFIX = "peer_incarnation:";
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Which data dir incarnation each peer is expected to be. The replicated
 * configuration says so once it records one; until then (a static
 * bootstrap writes none, and a member that lags may not have the entry that
 * recorded it) this node trusts the first incarnation it heard from under
 * that id and remembers it durably in its own log store. So a member whose
 * data dir was re-created is told apart by every node that ever heard from
 * the original, not only by those that caught up with the configuration.
 */
export class PeerIncarnations {
  private readonly pins = new Map<string, string>();

  constructor(private readonly logStore: LogStore) {}

  /** The incarnation `id` must present ("" when nothing is known yet, i.e. any). */
  expected(id: string, member: Member | undefined): string {
    const recorded = member === undefined ? "" : incarnationOf(member);
    const pinned = this.pinned(id);
    if (recorded !== "") {
      // The configuration is the authority once it says: a re-admitted member replaces the pin.
      if (pinned !== recorded) this.pin(id, recorded);
      return recorded;
    }
    return pinned;
  }

  /** First contact with `id`: remember the incarnation it presented, unless one is known. */
  heard(id: string, incarnation: string): void {
    if (incarnation === "" || this.pinned(id) !== "") return;
    this.pin(id, incarnation);
  }

  private pinned(id: string): string {
    const cached = this.pins.get(id);
    if (cached !== undefined) return cached;
    const stored = this.logStore.getMeta(PIN_PREFIX + id);
    const value = stored === undefined ? "" : fromUtf8.decode(stored);
    this.pins.set(id, value);
    return value;
  }

  private pin(id: string, incarnation: string): void {
    this.logStore.setMeta(PIN_PREFIX + id, utf8.encode(incarnation));
    this.pins.set(id, incarnation);
  }
}
