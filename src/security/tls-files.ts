import { createPrivateKey, type KeyObject, type X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { errorMessage } from "../log/error-message.ts";
import { type CertificateIdentity, identityOf } from "./certificate-identity.ts";
import { parsePemCertificates } from "./pem-certificates.ts";
import { type SecurityLogger, silentSecurityLogger } from "./security-logger.ts";

/** The flags a set of TLS files came from, so every message names the one to fix. */
export interface TlsFileFlags {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface TlsFilePaths {
  readonly certFile: string;
  readonly keyFile: string;
  /** Trusted CA bundles (PEM); empty: none given. */
  readonly caFiles: readonly string[];
}

/** One loaded, checked generation of the files. */
export interface TlsMaterial {
  /** Bumped on every successful (re)load: caches of contexts and transports key on it. */
  readonly version: number;
  readonly cert: string;
  readonly key: string;
  /** The trusted CAs as one PEM text; undefined when no CA file was given. */
  readonly ca: string | undefined;
  readonly caCertificates: readonly X509Certificate[];
  readonly leaf: X509Certificate;
  readonly identity: CertificateIdentity;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/** A PEM file larger than this is not a certificate, key or CA bundle. */
const MAX_PEM_BYTES = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A certificate that expires sooner than this is worth a warning. */
export const EXPIRY_WARNING_MS = 30 * DAY_MS;

/**
 * A certificate, its key and the CAs it trusts, read from disk and checked
 * (PEM parses, key matches, valid now). `current()` is asked for every new
 * connection: it re-reads the files when their size, mtime or inode changed
 * (or after `reload()`, e.g. on SIGHUP), so a certificate replaced on disk is
 * used by the next connection without a restart. A replacement that fails a
 * check is refused with one log line and the previous generation stays in use.
 */
export class TlsFiles {
  private material: TlsMaterial;
  private signature: string;
  private lastRefusal = "";
  private expiredWarned = false;

  private constructor(
    readonly label: string,
    private readonly paths: TlsFilePaths,
    private readonly flags: TlsFileFlags,
    private readonly logger: SecurityLogger,
    private readonly now: () => number,
  ) {
    this.material = this.readMaterial(1);
    this.signature = this.readSignature();
  }

  /** Loads and checks the files; throws one line naming the flag and the problem (a start must fail on it). */
  static load(label: string, paths: TlsFilePaths, flags: TlsFileFlags, logger: SecurityLogger = silentSecurityLogger, now: () => number = Date.now): TlsFiles {
    return new TlsFiles(label, paths, flags, logger, now);
  }

  /**
   * The generation to use for a new connection: re-read first if the files
   * changed. Undefined when the certificate in use is outside its validity
   * period and no valid replacement is on disk (the connection is refused).
   */
  current(): TlsMaterial | undefined {
    const signature = this.readSignatureQuietly();
    if (signature !== undefined && signature !== this.signature) this.tryReload(signature, "files changed");
    const now = this.now();
    if (now < this.material.notBeforeMs || now > this.material.notAfterMs) {
      if (!this.expiredWarned) {
        this.expiredWarned = true;
        this.logger.error(`${this.label} certificate is not valid now; connections are refused until ${this.flags.cert} holds a valid one`, {
          file: this.paths.certFile,
          notBefore: new Date(this.material.notBeforeMs).toISOString(),
          notAfter: new Date(this.material.notAfterMs).toISOString(),
        });
      }
      return undefined;
    }
    return this.material;
  }

  /** Re-reads the files now (SIGHUP); true when a new generation is in use. */
  reload(reason: string): boolean {
    const signature = this.readSignatureQuietly() ?? "";
    return this.tryReload(signature, reason);
  }

  /** Seconds until the certificate in use expires (negative once it has). */
  expirySeconds(): number {
    return Math.floor((this.material.notAfterMs - this.now()) / 1000);
  }

  /** The generation in use, valid or not (for start-up reporting). */
  get loaded(): TlsMaterial {
    return this.material;
  }

  private tryReload(signature: string, reason: string): boolean {
    try {
      const material = this.readMaterial(this.material.version + 1);
      this.material = material;
      this.signature = signature;
      this.lastRefusal = "";
      this.expiredWarned = false;
      this.logger.info(`${this.label} certificate reloaded`, {
        reason,
        file: this.paths.certFile,
        subject: material.identity.commonName,
        notAfter: new Date(material.notAfterMs).toISOString(),
      });
      return true;
    } catch (error) {
      const message = errorMessage(error);
      // A file being rewritten is seen on every connection until it is whole: one line per distinct problem.
      if (message !== this.lastRefusal) {
        this.lastRefusal = message;
        this.logger.warn(`${this.label} certificate files refused; still using the previous ones`, { reason, error: message });
      }
      // Remember the signature so the same broken files are not re-read per connection; a further change retries.
      this.signature = signature;
      return false;
    }
  }

  private readMaterial(version: number): TlsMaterial {
    const cert = readPem(this.flags.cert, this.paths.certFile);
    const key = readPem(this.flags.key, this.paths.keyFile);
    const chain = parsePemCertificates(`${this.flags.cert} ${this.paths.certFile}`, cert);
    const leaf = chain[0];
    if (leaf === undefined) throw new Error(`${this.flags.cert} ${this.paths.certFile}: no certificate`);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(key);
    } catch (error) {
      throw new Error(`${this.flags.key} ${this.paths.keyFile}: not a PEM private key (${errorMessage(error)})`);
    }
    if (!leaf.checkPrivateKey(privateKey)) {
      throw new Error(`${this.flags.key} ${this.paths.keyFile} is not the key of the certificate in ${this.flags.cert} ${this.paths.certFile}`);
    }
    const notBeforeMs = Date.parse(leaf.validFrom);
    const notAfterMs = Date.parse(leaf.validTo);
    const now = this.now();
    if (now < notBeforeMs) {
      throw new Error(`${this.flags.cert} ${this.paths.certFile}: certificate is not valid before ${new Date(notBeforeMs).toISOString()}`);
    }
    if (now > notAfterMs) {
      throw new Error(`${this.flags.cert} ${this.paths.certFile}: certificate expired at ${new Date(notAfterMs).toISOString()}`);
    }
    const caTexts = this.paths.caFiles.map((file) => readPem(this.flags.ca, file));
    const caCertificates = caTexts.flatMap((text, i) => parsePemCertificates(`${this.flags.ca} ${this.paths.caFiles[i] ?? ""}`, text));
    return {
      version,
      cert,
      key,
      ca: caTexts.length === 0 ? undefined : caTexts.join("\n"),
      caCertificates,
      leaf,
      identity: identityOf(leaf),
      notBeforeMs,
      notAfterMs,
    };
  }

  private allFiles(): string[] {
    return [this.paths.certFile, this.paths.keyFile, ...this.paths.caFiles];
  }

  private readSignature(): string {
    return this.allFiles()
      .map((file) => {
        const stat = statSync(file);
        return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
      })
      .join("|");
  }

  /** A file missing for a moment (an editor's rename) is no change yet. */
  private readSignatureQuietly(): string | undefined {
    try {
      return this.readSignature();
    } catch {
      return undefined;
    }
  }
}

function readPem(flag: string, file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new Error(`${flag} ${file}: cannot read (${errorMessage(error)})`);
  }
  if (size > MAX_PEM_BYTES) throw new Error(`${flag} ${file}: ${size} bytes, over the limit of ${MAX_PEM_BYTES} bytes for a PEM file`);
  return readFileSync(file, "utf8");
}
