import type { Interceptor } from "@connectrpc/connect";
import { Store } from "../ui/store.ts";

const storageKey = "raftkv.console.token";

/** Where the console stands with authentication on the node. */
export interface AuthState {
  /** The bearer token sent with every call; "" when none. */
  readonly token: string;
  /** The node answered UNAUTHENTICATED: the console asks for a token. */
  readonly tokenRequested: boolean;
}

/**
 * The bearer token for a node that has authentication on (`authorization:
 * Bearer …`, as every raftkv client sends it). Kept for the browser tab only
 * (sessionStorage): closing the tab forgets it. With no token nothing is
 * sent, so a node without authentication sees the console as any client.
 */
export class AuthToken {
  readonly state: Store<AuthState>;

  constructor(private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem"> | undefined = sessionStorageOrNone()) {
    this.state = new Store<AuthState>({ token: storage?.getItem(storageKey) ?? "", tokenRequested: false });
  }

  get token(): string {
    return this.state.get().token;
  }

  set(token: string): void {
    const trimmed = token.trim();
    if (trimmed === "") this.storage?.removeItem(storageKey);
    else this.storage?.setItem(storageKey, trimmed);
    this.state.set({ token: trimmed, tokenRequested: false });
  }

  /** Called when a call was answered UNAUTHENTICATED: the token is missing or no longer valid. */
  request(): void {
    if (!this.state.get().tokenRequested) this.state.update((s) => ({ ...s, tokenRequested: true }));
  }

  dismiss(): void {
    this.state.update((s) => ({ ...s, tokenRequested: false }));
  }

  /** Adds the header to every call made through a transport built with it. */
  interceptor(): Interceptor {
    return (next) => (request) => {
      const token = this.token;
      if (token !== "") request.header.set("authorization", `Bearer ${token}`);
      return next(request);
    };
  }
}

function sessionStorageOrNone(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    // Storage can be disabled by the browser's settings; the token then lives as long as the page.
    return undefined;
  }
}
