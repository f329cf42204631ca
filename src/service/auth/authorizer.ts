import type { X509Certificate } from "node:crypto";
import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { type CallerCertificate, callerCertificateOf } from "../../security/caller-certificate.ts";
import { type CertificateIdentity, principalNameOf } from "../../security/certificate-identity.ts";
import { rememberedPrincipal, rememberPrincipal } from "../../security/connection-token-memo.ts";
import { KeyPermissions, type KeySpan } from "../../security/key-permissions.ts";
import type { Principal } from "../../security/principal.ts";
import type { TokenStore } from "../../security/token-store.ts";
import { clientSocketKey } from "../../server/client-socket.ts";
import { type AccessRequirement, type AccessRule, accessRuleOf, type KeyCheck } from "./access-rules.ts";

/**
 * Set by a member that forwards a call whose caller proved itself with a
 * client certificate (a token is forwarded as is): the name the member
 * vouches for. Honoured only on a connection whose certificate is a current
 * member's, and the leader checks that name's own roles again.
 */
export const FORWARDED_IDENTITY_HEADER = "raftkv-forwarded-identity";

/** Who the call was authorized for, once it was; the forwarder reads it to pass the identity on. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "authenticated caller" });

export interface AuthorizerOptions {
  readonly tokens: TokenStore;
  /** `--client-cert-auth`: a verified client certificate's name stands for the token of that name. */
  readonly clientCertAuth: boolean;
  /** The peer CA certificates: a client certificate they issued may prove a member. Empty without peer TLS. */
  readonly peerCaCertificates: () => readonly X509Certificate[];
  /** True when a certificate with `identity` may speak for member `memberId` (see PeerAllowedNames). */
  readonly speaksFor: (identity: CertificateIdentity, memberId: string) => boolean;
  /** Ids of the members in the current configuration. */
  readonly memberIds: () => readonly string[];
}

const bearer = /^Bearer\s+(\S+)\s*$/i;

/** A context that can read one request header without building them all (the gRPC fast path's). */
interface SingleHeaderReader {
  readRequestHeader(name: string): string | undefined;
}

function requestHeaderOf(context: HandlerContext, name: string): string | null {
  if ("readRequestHeader" in context && typeof context.readRequestHeader === "function") {
    return (context as HandlerContext & SingleHeaderReader).readRequestHeader(name) ?? null;
  }
  return context.requestHeader.get(name);
}
const maxShownKeyChars = 80;

/**
 * The one authorization step every call takes (RPC on any protocol, the gRPC
 * fast path, REST), before its handler runs, so nothing refused is ever
 * validated further, proposed or forwarded. Without a credential the answer
 * is UNAUTHENTICATED (HTTP 401); with one that lacks the right, PERMISSION_DENIED (403).
 */
export class Authorizer {
  constructor(private readonly options: AuthorizerOptions) {}

  authorize(service: string, method: string, request: unknown, context: HandlerContext): void {
    this.authorizeWith(accessRuleOf(service, method), method, request, context);
  }

  /** As authorize, with the method's rule looked up beforehand (once per method, not per call). */
  authorizeWith(rule: AccessRule, method: string, request: unknown, context: HandlerContext): void {
    const requirement = rule(request);
    if (requirement.kind === "open") return;
    const certificate = this.options.clientCertAuth ? callerCertificateOf(context.values.get(clientSocketKey), this.options.peerCaCertificates()) : undefined;
    const principal = this.principalOf(context, certificate);
    if (principal === undefined && certificate?.fromPeerCa !== true) {
      throw new ConnectError(
        `authentication required for ${method}: send "authorization: Bearer TOKEN"${this.options.clientCertAuth ? " or a client certificate whose name has roles" : ""}`,
        Code.Unauthenticated,
      );
    }
    this.check(method, requirement, principal, certificate);
    if (principal !== undefined) context.values.set(principalKey, principal);
  }

  private principalOf(context: HandlerContext, certificate: CallerCertificate | undefined): Principal | undefined {
    const header = requestHeaderOf(context, "authorization");
    if (header !== null) {
      const socket = context.values.get(clientSocketKey);
      const generation = this.options.tokens.generationId;
      const remembered = rememberedPrincipal(socket, header, generation);
      if (remembered !== undefined) return remembered;
      const match = bearer.exec(header);
      if (match === null) throw new ConnectError('authorization: expected "Bearer TOKEN"', Code.Unauthenticated);
      const principal = this.options.tokens.authenticate(match[1] ?? "");
      if (principal === undefined) throw new ConnectError("authorization: the token is not recognized", Code.Unauthenticated);
      rememberPrincipal(socket, header, generation, principal);
      return principal;
    }
    if (certificate === undefined) return undefined;
    const forwarded = requestHeaderOf(context, FORWARDED_IDENTITY_HEADER);
    if (forwarded !== null) {
      if (this.memberOf(certificate) === undefined) {
        throw new ConnectError(
          `${FORWARDED_IDENTITY_HEADER}: only a member (a certificate from the peer CA naming a current member) may forward on behalf of another`,
          Code.PermissionDenied,
        );
      }
      return this.principalNamed(forwarded);
    }
    // A member certificate without a token of its name proves the member (joining, leaving), and no roles.
    const name = principalNameOf(certificate.identity);
    if (certificate.fromPeerCa && this.options.tokens.named(name) === undefined) return undefined;
    return this.principalNamed(name);
  }

  /** Roles of the token of that name; a name without one is authenticated but may do nothing. */
  private principalNamed(name: string): Principal {
    return this.options.tokens.named(name) ?? { name, via: "certificate", permissions: KeyPermissions.none };
  }

  /** The current member a certificate from the peer CA speaks for, if any. */
  private memberOf(certificate: CallerCertificate | undefined): string | undefined {
    if (certificate === undefined || !certificate.fromPeerCa) return undefined;
    return this.options.memberIds().find((id) => this.options.speaksFor(certificate.identity, id));
  }

  private check(method: string, requirement: AccessRequirement, principal: Principal | undefined, certificate: CallerCertificate | undefined): void {
    const who = principal === undefined ? `member certificate ${JSON.stringify(certificate?.identity.commonName ?? "")}` : JSON.stringify(principal.name);
    switch (requirement.kind) {
      case "open":
      case "authenticated":
        return;
      case "admin":
        if (principal?.permissions.admin === true) return;
        throw new ConnectError(`permission denied: ${who} may not call ${method} (it needs an admin role)`, Code.PermissionDenied);
      case "keys":
        for (const check of requirement.checks) this.checkKeys(method, who, principal, check);
        return;
      case "membership": {
        if (principal?.permissions.admin === true) return;
        // Joining and leaving: a node may add or remove itself with its own member certificate.
        const own = certificate?.fromPeerCa && this.options.speaksFor(certificate.identity, requirement.memberId);
        if (own) return;
        throw new ConnectError(
          `permission denied: ${who} may not call ${method} for member ${JSON.stringify(requirement.memberId)} (it needs an admin role, or that member's own certificate)`,
          Code.PermissionDenied,
        );
      }
      default: {
        const unreachable: never = requirement;
        throw new Error(`unknown access requirement ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private checkKeys(method: string, who: string, principal: Principal | undefined, check: KeyCheck): void {
    if (principal?.permissions.allows(check.permission, check.span)) return;
    throw new ConnectError(
      `permission denied: ${who} has no ${check.permission} permission on ${describeSpan(check.span)} (${method} ${check.field}); nothing was applied`,
      Code.PermissionDenied,
    );
  }
}

function describeSpan(span: KeySpan): string {
  const end = span.end;
  if (
    end !== undefined &&
    end.length === span.start.length + 1 &&
    end[end.length - 1] === 0 &&
    Buffer.from(end.subarray(0, -1)).equals(Buffer.from(span.start))
  ) {
    return `key ${showKey(span.start)}`;
  }
  return `keys [${showKey(span.start)}, ${end === undefined ? "end of key space" : showKey(end)})`;
}

function showKey(key: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(key);
  return JSON.stringify(text.length > maxShownKeyChars ? `${text.slice(0, maxShownKeyChars)}…` : text);
}
