import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { errorMessage } from "../log/error-message.ts";
import { type AuthFile, parseAuthFile } from "./auth-file.ts";
import { KeyPermissions } from "./key-permissions.ts";
import type { KeyGrant } from "./permission.ts";
import type { Principal } from "./principal.ts";
import { type SecurityLogger, silentSecurityLogger } from "./security-logger.ts";

const MAX_FILE_BYTES = 4 * 1024 * 1024;

interface StoredToken {
  readonly digest: Buffer;
  readonly principal: Principal;
}

interface Generation {
  readonly byDigest: ReadonlyMap<string, StoredToken>;
  /** Roles by token name, for client certificates that stand for a name. */
  readonly byName: ReadonlyMap<string, Principal>;
  /** Token texts by name: this node's own credential for --join-as is taken from here. */
  readonly secrets: ReadonlyMap<string, string>;
  readonly tokens: number;
  readonly roles: number;
}

/**
 * The tokens and roles of `--auth-token-file`. Tokens are checked as
 * SHA-256 digests: a presented token is hashed and looked up by digest, then
 * compared with timingSafeEqual, so the time an answer takes says nothing
 * about how much of a guess was right. Tokens never reach a log line.
 */
export class TokenStore {
  private generation: Generation;
  private generationCount = 1;

  private constructor(
    readonly file: string,
    private readonly logger: SecurityLogger,
  ) {
    this.generation = build(readAuthFile(file));
  }

  /** Loads the file; throws one line (`--auth-token-file F line N: reason`) when it is malformed. */
  static load(file: string, logger: SecurityLogger = silentSecurityLogger): TokenStore {
    return new TokenStore(file, logger);
  }

  /** Changes on every successful reload: answers remembered from before it are not used. */
  get generationId(): number {
    return this.generationCount;
  }

  get tokenCount(): number {
    return this.generation.tokens;
  }

  /** The principal a bearer token stands for; undefined for an unknown token. */
  authenticate(token: string): Principal | undefined {
    const digest = sha256(token);
    const stored = this.generation.byDigest.get(digest.toString("hex"));
    if (stored === undefined || !timingSafeEqual(stored.digest, digest)) return undefined;
    return stored.principal;
  }

  /** The roles of the token named `name` (a client certificate's identity); undefined when none has that name. */
  named(name: string): Principal | undefined {
    return this.generation.byName.get(name);
  }

  /** The token of `name` (this node's --join-as credential). */
  tokenOf(name: string): string | undefined {
    return this.generation.secrets.get(name);
  }

  /** Re-reads the file (SIGHUP); a malformed file is refused with its line and reason, and the tokens in use stay. */
  reload(): boolean {
    try {
      this.generation = build(readAuthFile(this.file));
      this.generationCount++;
      this.logger.info("auth token file reloaded", { file: this.file, tokens: this.generation.tokens, roles: this.generation.roles });
      return true;
    } catch (error) {
      this.logger.error("auth token file refused; the tokens loaded before stay in use", {
        error: errorMessage(error),
      });
      return false;
    }
  }
}

function readAuthFile(file: string): AuthFile {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new Error(`--auth-token-file ${file}: cannot read (${errorMessage(error)})`);
  }
  if (size > MAX_FILE_BYTES) throw new Error(`--auth-token-file ${file}: ${size} bytes, over the limit of ${MAX_FILE_BYTES} bytes`);
  return parseAuthFile(file, readFileSync(file, "utf8"));
}

function build(file: AuthFile): Generation {
  const byDigest = new Map<string, StoredToken>();
  const byName = new Map<string, Principal>();
  const secrets = new Map<string, string>();
  for (const entry of file.tokens) {
    const grants: KeyGrant[] = entry.roles.flatMap((role) => file.roles.get(role) ?? []);
    const permissions = KeyPermissions.of(grants);
    const digest = sha256(entry.token);
    byDigest.set(digest.toString("hex"), { digest, principal: { name: entry.name, via: "token", permissions } });
    byName.set(entry.name, { name: entry.name, via: "certificate", permissions });
    secrets.set(entry.name, entry.token);
  }
  return { byDigest, byName, secrets, tokens: file.tokens.length, roles: file.roles.size };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
