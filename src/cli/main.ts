#!/usr/bin/env bun
import { reexecWithAllocatorTuning } from "./allocator-tuning.ts";

// Before the rest of the CLI is loaded: a re-executed process would load it again.
reexecWithAllocatorTuning();
const { runCli } = await import("./cli-app.ts");
runCli();
