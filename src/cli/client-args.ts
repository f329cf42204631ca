import { readFileSync } from "node:fs";
import type { ArgsDef } from "citty";
import type { ClientTlsOptions } from "../client/client-tls.ts";
import { errorMessage } from "../log/error-message.ts";
import { DEFAULT_CLIENT_ADDRESS } from "./default-addresses.ts";
import { envName, flagValue } from "./flag-value.ts";
import { writeOutArgs } from "./output-format.ts";

/** Flags every client command shares. */
export const clientArgs = {
  endpoints: {
    type: "string",
    description: `Comma-separated client addresses (default ${DEFAULT_CLIENT_ADDRESS}); env ${envName("endpoints")}`,
  },
  protocol: {
    type: "string",
    description: `grpc, grpc-web, connect or connect-json (default grpc); env ${envName("protocol")}`,
  },
  hex: { type: "boolean", description: "Keys and values are given and printed as hex" },
  ...writeOutArgs,
  token: {
    type: "string",
    description: `Sent as "authorization: Bearer TOKEN" (nodes started with --auth-token-file); env ${envName("token")} (keeps it out of the process list)`,
  },
  cacert: { type: "string", description: `Connect with TLS, trusting this CA bundle (PEM); env ${envName("cacert")}` },
  cert: { type: "string", description: `Client certificate (PEM) for nodes with --client-cert-auth; env ${envName("cert")}` },
  // Not --key as in etcdctl: `key` is the positional argument of put/get/del.
  "cert-key": { type: "string", description: `The client certificate's private key (PEM); env ${envName("cert-key")}` },
} as const satisfies ArgsDef;

/** What a client command authenticates with: a token and/or TLS settings (read from the PEM files named). */
export interface ClientCredentials {
  readonly token: string | undefined;
  readonly tls: ClientTlsOptions | undefined;
}

/** --token, --cacert, --cert, --cert-key (or RAFTKV_TOKEN, ...). TLS is on when --cacert or --cert is given. */
export function credentialsFrom(args: { token?: string; cacert?: string; cert?: string; "cert-key"?: string }): ClientCredentials {
  const token = flagValue(args.token, "token", "");
  const cacert = flagValue(args.cacert, "cacert", "");
  const cert = flagValue(args.cert, "cert", "");
  const key = flagValue(args["cert-key"], "cert-key", "");
  if ((cert === "") !== (key === "")) throw new Error("--cert and --cert-key go together: a client certificate needs its key");
  const tls =
    cacert === "" && cert === ""
      ? undefined
      : {
          ...(cacert === "" ? {} : { ca: readPem("cacert", cacert) }),
          ...(cert === "" ? {} : { cert: readPem("cert", cert), key: readPem("cert-key", key) }),
        };
  return { token: token === "" ? undefined : token, tls };
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`--${flag} ${file}: cannot read (${errorMessage(error)})`);
  }
}

/** The --endpoints flag (or RAFTKV_ENDPOINTS) as a list of client addresses. */
export function endpointsFrom(args: { endpoints?: string }): string[] {
  return flagValue(args.endpoints, "endpoints", DEFAULT_CLIENT_ADDRESS)
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
}
