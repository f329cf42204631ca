export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses "host:port" or "[ipv6]:port"; throws with the offending text. */
export function parsePeerAddress(address: string): PeerAddress {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(address);
  const plain = /^([^:\s]+):(\d+)$/.exec(address);
  const match = bracketed ?? plain;
  const host = match?.[1];
  const portText = match?.[2];
  if (host === undefined || portText === undefined) {
    throw new Error(`peer address must be host:port or [ipv6]:port, got ${JSON.stringify(address)}`);
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`peer address port must be 1..65535, got ${JSON.stringify(address)}`);
  }
  return { host, port };
}
