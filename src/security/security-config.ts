/** The security flags of `raftkv serve` (etcd's names), as given; NodeSecurity checks how they combine. */
export interface SecurityConfig {
  /** TLS on the client port. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** CAs this node trusts: client certificates (with clientCertAuth) and other members' client ports. */
  readonly trustedCaFile?: string;
  /** Require a client certificate verified against trustedCaFile. */
  readonly clientCertAuth?: boolean;
  /** Mutual TLS on the Raft port. */
  readonly peerCertFile?: string;
  readonly peerKeyFile?: string;
  readonly peerTrustedCaFile?: string;
  /** `id=name|name,...`: certificate names that may speak for a member instead of its id. */
  readonly peerAllowedNames?: string;
  /** Tokens and roles (JSON); with it, every call except health and reflection must authenticate. */
  readonly authTokenFile?: string;
  /** The token (by name, from authTokenFile) this node uses to join (and leave) when it has no member certificate to show. */
  readonly joinAs?: string;
  /** `/metrics` needs a token with admin (default: open, like health). */
  readonly metricsAuth?: boolean;
}
