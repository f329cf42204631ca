import type { X509Certificate } from "node:crypto";

/** Who a certificate says its holder is: the subject's common name and every name it carries. */
export interface CertificateIdentity {
  /** The subject CN ("" when absent): the name a client certificate stands for (etcd's convention). */
  readonly commonName: string;
  /** Subject alternative names (DNS, IP, URI, email) and the CN, each once. */
  readonly names: readonly string[];
}

const sanPrefixes = ["DNS:", "IP Address:", "URI:", "email:"];

/** Reads the names of a parsed certificate; never throws on an odd one (unknown SAN kinds are skipped). */
export function identityOf(certificate: X509Certificate): CertificateIdentity {
  const commonName = commonNameOf(certificate.subject);
  const names = new Set<string>();
  for (const entry of (certificate.subjectAltName ?? "").split(/,\s*/)) {
    const prefix = sanPrefixes.find((p) => entry.startsWith(p));
    if (prefix !== undefined) names.add(entry.slice(prefix.length).replace(/^"(.*)"$/, "$1"));
  }
  if (commonName !== "") names.add(commonName);
  return { commonName, names: [...names] };
}

/** The name a client certificate stands for: its CN, else its first SAN. */
export function principalNameOf(identity: CertificateIdentity): string {
  return identity.commonName !== "" ? identity.commonName : (identity.names[0] ?? "");
}

function commonNameOf(subject: string): string {
  for (const line of subject.split("\n")) {
    if (line.startsWith("CN=")) return line.slice(3);
  }
  return "";
}
