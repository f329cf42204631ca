import type { ArgsDef } from "citty";
import type { SecurityConfig } from "../security/security-config.ts";
import { envName, flagValue } from "./flag-value.ts";

const describe = (text: string, flag: string): string => `${text}; env ${envName(flag)}`;

/** `raftkv serve`'s security flags (etcd's names where etcd has one). */
export const securityArgs = {
  "cert-file": { type: "string", description: describe("TLS on the client port: this node's certificate (PEM; reloaded when it changes)", "cert-file") },
  "key-file": { type: "string", description: describe("TLS on the client port: the certificate's private key (PEM)", "key-file") },
  "trusted-ca-file": {
    type: "string",
    description: describe("CA bundle (PEM) for client certificates and for other members' client ports", "trusted-ca-file"),
  },
  "client-cert-auth": { type: "boolean", description: describe("Require a client certificate signed by --trusted-ca-file", "client-cert-auth") },
  "peer-cert-file": {
    type: "string",
    description: describe("Mutual TLS on the Raft port: this member's certificate (PEM), naming its --id", "peer-cert-file"),
  },
  "peer-key-file": { type: "string", description: describe("Mutual TLS on the Raft port: the certificate's private key (PEM)", "peer-key-file") },
  "peer-trusted-ca-file": {
    type: "string",
    description: describe("Mutual TLS on the Raft port: the CA members' certificates are signed by", "peer-trusted-ca-file"),
  },
  "peer-allowed-names": {
    type: "string",
    description: describe("id=name|name,...: certificate names that may speak for a member instead of its id", "peer-allowed-names"),
  },
  "auth-token-file": {
    type: "string",
    description: describe("Tokens and roles (JSON; reloaded on SIGHUP): every call but health and reflection must authenticate", "auth-token-file"),
  },
  "join-as": {
    type: "string",
    description: describe("With --auth-token-file: the token (by name) this node joins and leaves with when it has no member certificate", "join-as"),
  },
  "metrics-auth": { type: "boolean", description: describe("/metrics needs a token with an admin role (default: open like /healthz)", "metrics-auth") },
} as const satisfies ArgsDef;

type SecurityArgs = { readonly [K in keyof typeof securityArgs]?: (typeof securityArgs)[K]["type"] extends "boolean" ? boolean : string };

/** The flags (or RAFTKV_* variables) as a SecurityConfig; an empty value counts as not given. */
export function securityConfigFrom(args: SecurityArgs): SecurityConfig {
  const text = (flag: Exclude<keyof typeof securityArgs, "client-cert-auth" | "metrics-auth">): string | undefined => {
    const value = flagValue(args[flag], flag, "");
    return value === "" ? undefined : value;
  };
  const on = (flag: "client-cert-auth" | "metrics-auth"): boolean =>
    args[flag] === true || (args[flag] === undefined && flagValue(undefined, flag, "false") === "true");
  return {
    certFile: text("cert-file"),
    keyFile: text("key-file"),
    trustedCaFile: text("trusted-ca-file"),
    clientCertAuth: on("client-cert-auth"),
    peerCertFile: text("peer-cert-file"),
    peerKeyFile: text("peer-key-file"),
    peerTrustedCaFile: text("peer-trusted-ca-file"),
    peerAllowedNames: text("peer-allowed-names"),
    authTokenFile: text("auth-token-file"),
    joinAs: text("join-as"),
    metricsAuth: on("metrics-auth"),
  };
}
