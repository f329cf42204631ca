import type { X509Certificate } from "node:crypto";
import type { ClientTlsOptions } from "../client/client-tls.ts";
import type { MemberDial } from "../service/write/index.ts";
import { ClientPortTls } from "./client-port-tls.ts";
import { PeerAllowedNames } from "./peer-allowed-names.ts";
import { PeerPortTls } from "./peer-port-tls.ts";
import type { SecurityConfig } from "./security-config.ts";
import type { SecurityLogger } from "./security-logger.ts";
import { EXPIRY_WARNING_MS, TlsFiles, type TlsMaterial } from "./tls-files.ts";
import { TokenStore } from "./token-store.ts";

/** What a node presents when it calls another member's client port as a client (join, leave). */
export interface MemberCredentials {
  readonly tls: ClientTlsOptions | undefined;
  readonly token: string | undefined;
}

/**
 * Everything security a node runs with, checked and loaded at start: TLS on
 * each port, the tokens and roles, and how this node calls other members.
 * A bad combination of flags or a bad file fails the start with one line.
 * `reload()` (SIGHUP) re-reads every file; TLS files are also re-read when
 * they change on disk, at the next connection.
 */
export class NodeSecurity {
  private constructor(
    private readonly config: SecurityConfig,
    readonly clientTls: ClientPortTls | undefined,
    readonly peerTls: PeerPortTls | undefined,
    readonly tokens: TokenStore | undefined,
    readonly peerAllowedNames: PeerAllowedNames,
    private readonly logger: SecurityLogger,
  ) {}

  static load(config: SecurityConfig, logger: SecurityLogger): NodeSecurity {
    checkCombination(config);
    const clientFiles =
      config.certFile !== undefined && config.keyFile !== undefined
        ? TlsFiles.load(
            "client port",
            { certFile: config.certFile, keyFile: config.keyFile, caFiles: config.trustedCaFile === undefined ? [] : [config.trustedCaFile] },
            { cert: "--cert-file", key: "--key-file", ca: "--trusted-ca-file" },
            logger,
          )
        : undefined;
    const peerFiles =
      config.peerCertFile !== undefined && config.peerKeyFile !== undefined && config.peerTrustedCaFile !== undefined
        ? TlsFiles.load(
            "Raft port",
            { certFile: config.peerCertFile, keyFile: config.peerKeyFile, caFiles: [config.peerTrustedCaFile] },
            { cert: "--peer-cert-file", key: "--peer-key-file", ca: "--peer-trusted-ca-file" },
            logger,
          )
        : undefined;
    const allowedNames =
      config.peerAllowedNames === undefined ? PeerAllowedNames.none : PeerAllowedNames.parse("--peer-allowed-names", config.peerAllowedNames);
    const tokens = config.authTokenFile === undefined ? undefined : TokenStore.load(config.authTokenFile, logger);
    if (config.joinAs !== undefined && tokens?.named(config.joinAs) === undefined) {
      throw new Error(`--join-as ${JSON.stringify(config.joinAs)}: no token of that name in --auth-token-file ${config.authTokenFile ?? ""}`);
    }
    const clientCertAuth = config.clientCertAuth === true;
    const security = new NodeSecurity(
      config,
      clientFiles === undefined ? undefined : new ClientPortTls(clientFiles, clientCertAuth, peerFiles),
      peerFiles === undefined ? undefined : new PeerPortTls(peerFiles, allowedNames),
      tokens,
      allowedNames,
      logger,
    );
    security.warnAtStart(clientFiles, peerFiles);
    return security;
  }

  get clientCertAuth(): boolean {
    return this.config.clientCertAuth === true;
  }

  get authEnabled(): boolean {
    return this.tokens !== undefined;
  }

  get metricsAuth(): boolean {
    return this.config.metricsAuth === true;
  }

  /**
   * Whether a request for /metrics may be answered: always without
   * --metrics-auth (like /healthz); with it, only for a bearer token whose
   * roles include admin.
   */
  metricsAccess(authorization: string | undefined): { readonly status: 200 | 401 | 403; readonly reason: string } {
    if (!this.metricsAuth || this.tokens === undefined) return { status: 200, reason: "metrics are open" };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (match === null) return { status: 401, reason: 'metrics need "authorization: Bearer TOKEN" (--metrics-auth)' };
    const principal = this.tokens.authenticate(match[1] ?? "");
    if (principal === undefined) return { status: 401, reason: "authorization: the token is not recognized" };
    if (!principal.permissions.admin)
      return { status: 403, reason: `permission denied: ${JSON.stringify(principal.name)} may not read metrics (it needs an admin role)` };
    return { status: 200, reason: "admin token" };
  }

  /** The peer CA certificates (a client certificate they issued can prove a member); empty without peer TLS. */
  peerCaCertificates(): readonly X509Certificate[] {
    return this.peerTls?.files.current()?.caCertificates ?? [];
  }

  /**
   * How this node dials other members' client ports (forwarded calls): TLS
   * when the client port has it, trusting --trusted-ca-file (else the peer
   * CA), and presenting a certificate when client certificates are required:
   * the peer certificate when there is one (it proves a member), else --cert-file.
   */
  memberDial(): MemberDial {
    return {
      current: () => {
        const tls = this.memberTls();
        return { version: tls === undefined ? "cleartext" : tls.version, tls: tls?.options };
      },
    };
  }

  /** What this node shows when it joins or leaves through another member. */
  memberCredentials(): MemberCredentials {
    const tls = this.memberTls()?.options;
    const token = this.config.joinAs === undefined ? undefined : this.tokens?.tokenOf(this.config.joinAs);
    return { tls, token };
  }

  /** SIGHUP: every file is read again; a bad one is refused with a log line and the previous one stays. */
  reload(reason: string): void {
    this.clientTls?.files.reload(reason);
    this.peerTls?.files.reload(reason);
    this.tokens?.reload();
  }

  /**
   * Seconds until the soonest of this node's certificates expires (negative
   * once it has); undefined without TLS. The metric
   * raftkv_tls_certificate_expiry_seconds has it per port.
   */
  certificateExpiry(): number | undefined {
    const all = Object.values(this.certificateExpiryByPort());
    return all.length === 0 ? undefined : Math.min(...all);
  }

  certificateExpiryByPort(): { client?: number; raft?: number } {
    return {
      ...(this.clientTls === undefined ? {} : { client: this.clientTls.files.expirySeconds() }),
      ...(this.peerTls === undefined ? {} : { raft: this.peerTls.files.expirySeconds() }),
    };
  }

  /** One warning line when a port listens beyond loopback with neither TLS nor authentication. */
  warnIfExposed(clientHost: string, raftHost: string): void {
    const exposed: string[] = [];
    if (!isLoopback(clientHost) && this.clientTls === undefined && this.tokens === undefined) exposed.push(`client port on ${clientHost}`);
    if (!isLoopback(raftHost) && this.peerTls === undefined) exposed.push(`Raft port on ${raftHost}`);
    if (exposed.length === 0) return;
    this.logger.warn(
      `${exposed.join(" and ")} listen beyond loopback with neither TLS nor authentication: anyone who reaches ${exposed.length === 1 ? "it" : "them"} can read and write every key${this.peerTls === undefined && !isLoopback(raftHost) ? " and forge Raft messages" : ""} (see "Security" in the README: --cert-file, --peer-cert-file, --auth-token-file)`,
    );
  }

  private memberTls(): { readonly version: string; readonly options: ClientTlsOptions } | undefined {
    if (this.clientTls === undefined) return undefined;
    const own = this.clientTls.files.current();
    const peer = this.peerTls?.files.current();
    const trust = own?.ca ?? peer?.ca;
    const present: TlsMaterial | undefined = this.clientCertAuth ? (peer ?? own) : undefined;
    return {
      version: `${own?.version ?? 0}:${peer?.version ?? 0}`,
      options: { ca: trust, cert: present?.cert, key: present?.key },
    };
  }

  private warnAtStart(clientFiles: TlsFiles | undefined, peerFiles: TlsFiles | undefined): void {
    for (const files of [clientFiles, peerFiles]) {
      if (files === undefined) continue;
      const material = files.loaded;
      const left = material.notAfterMs - Date.now();
      if (left < EXPIRY_WARNING_MS) {
        this.logger.warn(`${files.label} certificate expires in ${Math.floor(left / 86_400_000)} days`, {
          notAfter: new Date(material.notAfterMs).toISOString(),
          subject: material.identity.commonName,
        });
      }
    }
    if (clientFiles !== undefined && peerFiles !== undefined && this.clientCertAuth && this.tokens !== undefined) {
      const clientCas = new Set(clientFiles.loaded.caCertificates.map((c) => c.fingerprint256));
      if (peerFiles.loaded.caCertificates.some((c) => clientCas.has(c.fingerprint256))) {
        this.logger.warn(
          "--trusted-ca-file and --peer-trusted-ca-file share a CA: a client certificate that names a member id can act as that member (forward calls, join, leave); issue member certificates from a CA of their own",
        );
      }
    }
  }
}

function checkCombination(config: SecurityConfig): void {
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) {
    throw new Error("--cert-file and --key-file go together: TLS on the client port needs both");
  }
  if (config.clientCertAuth === true && config.certFile === undefined) {
    throw new Error("--client-cert-auth needs TLS on the client port: give --cert-file and --key-file");
  }
  if (config.clientCertAuth === true && config.trustedCaFile === undefined) {
    throw new Error("--client-cert-auth needs --trusted-ca-file: the CA that client certificates must be signed by");
  }
  if (config.trustedCaFile !== undefined && config.certFile === undefined) {
    throw new Error("--trusted-ca-file is for TLS on the client port: give --cert-file and --key-file too");
  }
  const peer = { "--peer-cert-file": config.peerCertFile, "--peer-key-file": config.peerKeyFile, "--peer-trusted-ca-file": config.peerTrustedCaFile };
  const given = Object.entries(peer).filter(([, value]) => value !== undefined);
  if (given.length > 0 && given.length < 3) {
    const missing = Object.entries(peer)
      .filter(([, value]) => value === undefined)
      .map(([flag]) => flag);
    throw new Error(`mutual TLS on the Raft port needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file; missing ${missing.join(", ")}`);
  }
  if (config.peerAllowedNames !== undefined && given.length === 0) {
    throw new Error("--peer-allowed-names needs mutual TLS on the Raft port (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file)");
  }
  if (config.joinAs !== undefined && config.authTokenFile === undefined) {
    throw new Error("--join-as names a token of --auth-token-file: give --auth-token-file too");
  }
  if (config.metricsAuth === true && config.authTokenFile === undefined) {
    throw new Error("--metrics-auth needs --auth-token-file (the tokens /metrics is checked against)");
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}
