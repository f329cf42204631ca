import type { CertificateIdentity } from "./certificate-identity.ts";

/**
 * Which certificate names may speak for which member id
 * (`--peer-allowed-names n1=node1.example.com|10.0.0.1,n2=node2.example.com`).
 * A member without an entry must hold a certificate that names its id
 * (a SAN, or the CN). An entry replaces that rule for its member: one of the
 * listed names must be in the certificate.
 */
export class PeerAllowedNames {
  private constructor(private readonly byMember: ReadonlyMap<string, readonly string[]>) {}

  static readonly none = new PeerAllowedNames(new Map());

  /** Parses the flag; throws one line naming the flag and the bad entry. */
  static parse(flag: string, text: string): PeerAllowedNames {
    const byMember = new Map<string, string[]>();
    for (const entry of text
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== "")) {
      const at = entry.indexOf("=");
      const id = at > 0 ? entry.slice(0, at).trim() : "";
      const names =
        at > 0
          ? entry
              .slice(at + 1)
              .split("|")
              .map((n) => n.trim())
              .filter((n) => n !== "")
          : [];
      if (id === "" || names.length === 0) {
        throw new Error(`${flag}: expected id=name[|name...] entries separated by commas, got ${JSON.stringify(entry)}`);
      }
      if (byMember.has(id)) throw new Error(`${flag}: member ${JSON.stringify(id)} is listed twice`);
      byMember.set(id, names);
    }
    return new PeerAllowedNames(byMember);
  }

  get size(): number {
    return this.byMember.size;
  }

  /** True when a certificate with `identity` may speak for member `memberId`. */
  allows(identity: CertificateIdentity, memberId: string): boolean {
    const allowed = this.byMember.get(memberId) ?? [memberId];
    return identity.names.some((name) => allowed.includes(name));
  }

  /** What a certificate for `memberId` must name, for error messages. */
  describe(memberId: string): string {
    const allowed = this.byMember.get(memberId);
    return allowed === undefined
      ? `a SAN or CN equal to the member id ${JSON.stringify(memberId)}`
      : `one of ${allowed.map((n) => JSON.stringify(n)).join(", ")} (--peer-allowed-names)`;
  }
}
