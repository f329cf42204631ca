import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { TransportFactory } from "../../../src/client/index.ts";
import type { AuthToken } from "./auth-token.ts";

/**
 * gRPC-Web over fetch, as every browser client of raftkv: the console has no
 * private way in. Each call carries the token (if any); an UNAUTHENTICATED
 * answer makes the console ask for one.
 */
export function consoleTransportFactory(auth: AuthToken): TransportFactory {
  const interceptors = [auth.interceptor(), consoleRefusalInterceptor(auth)];
  return (baseUrl) => createGrpcWebTransport({ baseUrl, interceptors });
}

/** Asks for a token when the node answers UNAUTHENTICATED (the token is missing, wrong or expired). */
export function consoleRefusalInterceptor(auth: AuthToken): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.Unauthenticated) auth.request();
      throw error;
    }
  };
}
