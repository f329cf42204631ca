import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One certificate and its key, as files. */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface IssueOptions {
  /** Subject CN (default: the first SAN, or the file name). */
  readonly commonName?: string;
  /** subjectAltName entries as openssl writes them: "DNS:n1", "IP:127.0.0.1". */
  readonly sans?: readonly string[];
  /** Validity from now; -1 makes a certificate that expired yesterday (openssl accepts it), for refusal tests. */
  readonly days?: number;
}

/**
 * A certificate authority made with Debian's `openssl` CLI for a test:
 * P-256 keys, certificates valid for both server and client use. Nothing is
 * mocked: the files are what an operator would make with the README's commands.
 */
export class TestPki {
  readonly caFile: string;
  readonly caCert: string;
  private readonly caKeyFile: string;
  private serial = 1;

  private constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.caFile = join(dir, `${name}-ca.crt`);
    this.caKeyFile = join(dir, `${name}-ca.key`);
    openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      this.caKeyFile,
      "-out",
      this.caFile,
      "-days",
      "30",
      "-subj",
      `/CN=${name} test CA`,
    ]);
    this.caCert = readFileSync(this.caFile, "utf8");
  }

  static create(dir: string, name = "raftkv"): TestPki {
    return new TestPki(dir, name);
  }

  /** Issues a certificate signed by this CA into `<dir>/<file>.crt` and `.key`. */
  issue(file: string, options: IssueOptions = {}): IssuedCertificate {
    const keyFile = join(this.dir, `${file}.key`);
    const csrFile = join(this.dir, `${file}.csr`);
    const certFile = join(this.dir, `${file}.crt`);
    const extFile = join(this.dir, `${file}.ext`);
    const sans = options.sans ?? [];
    const commonName = options.commonName ?? sans[0]?.replace(/^[A-Z]+:/, "") ?? file;
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", csrFile, "-subj", `/CN=${commonName}`]);
    const ext = ["extendedKeyUsage=serverAuth,clientAuth", ...(sans.length > 0 ? [`subjectAltName=${sans.join(",")}`] : [])];
    writeFileSync(extFile, `${ext.join("\n")}\n`);
    openssl([
      "x509",
      "-req",
      "-in",
      csrFile,
      "-CA",
      this.caFile,
      "-CAkey",
      this.caKeyFile,
      "-set_serial",
      String(this.serial++),
      "-out",
      certFile,
      "-days",
      String(options.days ?? 10),
      "-extfile",
      extFile,
    ]);
    return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
  }
}

function openssl(args: readonly string[]): void {
  const run = spawnSync("openssl", args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${run.stderr}`);
}
