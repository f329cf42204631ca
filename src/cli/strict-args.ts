import type { ArgDef, ArgsDef } from "citty";

/**
 * citty parses whatever it is given and drops what a command does not
 * declare, so `raftkv del app/ --prefix` once deleted the one key `app/` and
 * exited 0. This reads the raw arguments the way citty does (a string flag
 * takes the next argument unless it is written `--flag=value`; `--no-flag`
 * negates a boolean; everything after `--` is positional) and throws one line
 * for the first flag the command does not declare, listing the ones it does,
 * for a string flag with no value, and for a positional argument too many.
 */
export function checkArgs(rawArgs: readonly string[], args: ArgsDef): void {
  const flags = new Map<string, ArgDef>();
  let positionals = 0;
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals++;
      continue;
    }
    flags.set(name, def);
    const aliases = "alias" in def && def.alias !== undefined ? [def.alias].flat() : [];
    for (const alias of aliases) flags.set(alias, def);
  }
  const extra: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] ?? "";
    if (arg === "--") {
      extra.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      extra.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const equals = body.indexOf("=");
    const name = equals >= 0 ? body.slice(0, equals) : body;
    const def = flags.get(name);
    if (def === undefined) {
      if (equals < 0 && name.startsWith("no-") && flags.get(name.slice(3))?.type === "boolean") continue;
      const hint = /^-\d/.test(arg) ? " (a value that starts with - goes after --)" : "";
      throw new Error(`unknown flag ${arg.slice(0, arg.length - body.length)}${name}${hint}; valid flags: ${validFlags(args)}`);
    }
    if (def.type === "boolean" || equals >= 0) continue;
    if (i + 1 >= rawArgs.length) throw new Error(`flag ${arg} needs a value`);
    i++;
  }
  if (extra.length > positionals) {
    const unexpected = extra.slice(positionals);
    throw new Error(`unexpected argument${unexpected.length > 1 ? "s" : ""} ${unexpected.map((a) => JSON.stringify(a)).join(" ")}`);
  }
}

/** `--a, --b <value>, --no-c`: what a command accepts, for the error line. */
function validFlags(args: ArgsDef): string {
  const listed: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const aliases = "alias" in def && def.alias !== undefined ? [def.alias].flat() : [];
    const short = aliases.length === 0 ? "" : ` (${aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`)).join(", ")})`;
    listed.push(def.type === "boolean" ? `--${name}${short}` : `--${name} <value>${short}`);
  }
  listed.push("--help");
  return listed.join(", ");
}
