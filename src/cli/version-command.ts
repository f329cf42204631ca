import { defineCommand } from "citty";
import { buildInfo } from "../version/build-info.ts";
import { outputFormatOf, renderTable, toJson, writeOutArgs } from "./output-format.ts";

export const versionCommand = defineCommand({
  meta: { name: "version", description: "Print raftkv's version, the git commit it was built from and the Bun version it runs on" },
  args: { ...writeOutArgs },
  run({ args }) {
    const build = buildInfo();
    switch (outputFormatOf(args)) {
      case "json":
        console.log(toJson(build));
        return;
      case "table":
        console.log(renderTable(["VERSION", "GIT COMMIT", "BUN"], [[build.version, build.gitCommit, build.bunVersion]]));
        return;
      case "simple":
        console.log(`raftkv version: ${build.version}\ngit commit: ${build.gitCommit}\nbun version: ${build.bunVersion}`);
        return;
    }
  },
});
