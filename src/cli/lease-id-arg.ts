/** A lease id as the CLI prints it: decimal, or hex with a 0x prefix. */
export function leaseIdArg(flag: string, text: string): bigint {
  const trimmed = text.trim();
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(trimmed)) {
    throw new Error(`${flag}: expected a lease id (decimal, or hex with 0x), got ${JSON.stringify(text)}`);
  }
  const id = BigInt(trimmed);
  if (id > 0x7fffffffffffffffn) throw new Error(`${flag}: lease id ${trimmed} does not fit in a signed 64-bit integer`);
  return id;
}
