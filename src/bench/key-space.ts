const encoder = new TextEncoder();

/**
 * The keys one workload touches: `${prefix}${index}` with the index
 * zero-padded so that byte order equals numeric order (Range of 100
 * consecutive keys then really returns 100 keys).
 */
export class KeySpace {
  constructor(
    readonly prefix: string,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`key space size must be a positive integer, got ${size}`);
    }
  }

  keyText(index: number): string {
    return this.prefix + String(index).padStart(8, "0");
  }

  key(index: number): Uint8Array {
    return encoder.encode(this.keyText(index));
  }

  /** The smallest key after every key of this space: the prefix's upper bound. */
  end(): Uint8Array {
    return prefixEnd(encoder.encode(this.prefix));
  }
}

/** etcd's prefix rule: increment the last byte that is not 0xff, drop the rest. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i];
    if (byte !== undefined && byte < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = byte + 1;
      return end;
    }
  }
  // All 0xff (or empty): no upper bound; etcd spells that as "\0".
  return new Uint8Array([0]);
}
