import type { ArgsDef, CommandDef } from "citty";
import { ConnectError, Code } from "@connectrpc/connect";

/** One line an operator can act on, instead of a stack trace. */
export function cliErrorMessage(error: unknown): string {
  if (error instanceof ConnectError) return `error: ${Code[error.code] ?? error.code}: ${error.rawMessage}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}

/** Wraps a command's run so failures print one line and exit with status 1. */
export function withCliErrors<A extends ArgsDef>(command: CommandDef<A>): CommandDef<A> {
  const run = command.run;
  if (run === undefined) return command;
  return {
    ...command,
    async run(context) {
      try {
        return await run(context);
      } catch (error) {
        console.error(cliErrorMessage(error));
        process.exit(1);
      }
    },
  };
}
