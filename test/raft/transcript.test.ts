import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTranscript, renderTranscript, TranscriptRunner } from "./transcript/transcript-runner.ts";

// Transcripts of the Raft core (etcd-io/raft's datadriven style): each file
// drives a hand-run cluster command by command and holds the exact Readies
// and messages every command produced. A behaviour change is a text diff of
// these files; REWRITE_TRANSCRIPTS=1 writes the new outputs in place for
// review (`git diff test/raft/testdata`).
const dir = join(import.meta.dir, "testdata");
const rewrite = process.env.REWRITE_TRANSCRIPTS === "1";

describe("Raft core transcripts", () => {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()) {
    test(file, () => {
      const path = join(dir, file);
      const original = readFileSync(path, "utf8");
      const runner = new TranscriptRunner();
      const cases = parseTranscript(original);
      const outputs = cases.map((c) => runner.run(c.command));
      if (rewrite) {
        writeFileSync(path, renderTranscript(original, outputs));
        return;
      }
      cases.forEach((c, i) => {
        const actual = outputs[i];
        if (actual !== c.expected) {
          throw new Error(`${file}:${c.line}: ${c.command}\n--- expected\n${c.expected}\n--- actual\n${actual}`);
        }
      });
      expect(cases.length).toBeGreaterThan(3);
    });
  }
});
