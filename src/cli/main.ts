#!/usr/bin/env bun
import { reexecWithAllocatorTuning } from "./allocator-tuning.ts";

// Before the rest of the CLI is loaded: a re-executed process would load it again.
reexecWithAllocatorTuning();
// citty colours its help unless NO_COLOR is set, decided when it loads: no colour in a pipe or a file.
if (process.stdout.isTTY !== true && process.env.NO_COLOR === undefined) process.env.NO_COLOR = "1";
const { runCli } = await import("./cli-app.ts");
runCli();
