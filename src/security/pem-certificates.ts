import { X509Certificate } from "node:crypto";
import { errorMessage } from "../log/error-message.ts";

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** A CA bundle of more certificates than this is a mistake (or an attack on start-up time). */
const MAX_CERTIFICATES = 100;

/** Every certificate in a PEM text, in order; throws one line naming `what` when there is none or one does not parse. */
export function parsePemCertificates(what: string, pem: string): X509Certificate[] {
  const blocks = pem.match(pemBlock) ?? [];
  if (blocks.length === 0) throw new Error(`${what}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file`);
  if (blocks.length > MAX_CERTIFICATES) throw new Error(`${what}: ${blocks.length} certificates, over the limit of ${MAX_CERTIFICATES}`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${what}: certificate ${i + 1} does not parse: ${errorMessage(error)}`);
    }
  });
}
