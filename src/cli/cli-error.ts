import { Code, ConnectError } from "@connectrpc/connect";
import type { ArgsDef, CommandContext, CommandDef, Resolvable } from "citty";
import { checkArgs } from "./strict-args.ts";

/** One line an operator can act on, instead of a stack trace. */
export function cliErrorMessage(error: unknown): string {
  if (error instanceof ConnectError) return `error: ${Code[error.code] ?? error.code}: ${error.rawMessage}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}

function exitWith(error: unknown): never {
  console.error(cliErrorMessage(error));
  process.exit(1);
}

/** citty lets a command's args be a value, a promise or a function returning either. */
async function resolved<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/**
 * Wraps a command so that what goes wrong prints one line and exits with
 * status 1: an argument the command does not declare (checked before it
 * runs, see checkArgs), and any error its run throws. A group of
 * subcommands (no run of its own) refuses a flag before the subcommand's
 * name, which citty would otherwise drop.
 */
export function withCliErrors<A extends ArgsDef>(command: CommandDef<A>): CommandDef<A> {
  const run = command.run;
  if (run === undefined) {
    const setup = command.setup;
    return {
      ...command,
      async setup(context: CommandContext<A>) {
        // The subcommand's name comes first: a flag before it belongs to no command.
        const first = context.rawArgs[0];
        if (first?.startsWith("-")) exitWith(new Error(`unknown flag ${first}: the command comes first (see --help)`));
        return setup?.(context);
      },
    };
  }
  return {
    ...command,
    async run(context) {
      try {
        checkArgs(context.rawArgs, await resolved(command.args ?? {}));
        return await run(context);
      } catch (error) {
        exitWith(error);
      }
    },
  };
}
