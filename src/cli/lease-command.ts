import { toJsonString } from "@bufbuild/protobuf";
import { defineCommand } from "citty";
import { sleep } from "../client/backoff.ts";
import {
  LeaseGrantResponseSchema,
  LeaseKeepAliveResponseSchema,
  LeaseLeasesResponseSchema,
  LeaseRevokeResponseSchema,
  LeaseTimeToLiveResponseSchema,
} from "../gen/raftkv/v1/lease_pb.ts";
import { printableBytes } from "./bytes-arg.ts";
import { withCliErrors } from "./cli-error.ts";
import { clientArgs } from "./client-args.ts";
import { positiveInteger } from "./flag-value.ts";
import { leaseIdArg } from "./lease-id-arg.ts";
import { askedOutputFormat, outputFormatOf, renderTable } from "./output-format.ts";
import { commandTimeoutArgs, raftkvClientFrom } from "./raftkv-client-args.ts";

const leaseGrantCommand = defineCommand({
  meta: { name: "grant", description: "Grant a lease; prints `lease <id> granted with TTL <n>s` (-w simple: the id alone, for $(...))" },
  args: {
    ttl: { type: "positional", required: true, description: "Time to live in seconds" },
    id: { type: "string", description: "Use this lease id (default: the server picks one)" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const ttl = positiveInteger("ttl", args.ttl);
    const format = askedOutputFormat(args);
    const answer = await raftkvClientFrom(args).leaseGrant(ttl, { id: args.id === undefined ? 0n : leaseIdArg("--id", args.id) });
    if (format === "json") console.log(toJsonString(LeaseGrantResponseSchema, answer));
    else if (format === "simple") console.log(String(answer.id));
    else if (format === "table") console.log(renderTable(["ID", "TTL"], [[String(answer.id), `${answer.ttlSeconds}s`]]));
    else console.log(`lease ${answer.id} granted with TTL ${answer.ttlSeconds}s`);
  },
});

const leaseRevokeCommand = defineCommand({
  meta: { name: "revoke", description: "Revoke a lease, deleting its keys; prints how many" },
  args: {
    id: { type: "positional", required: true, description: "Lease id" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const id = leaseIdArg("id", args.id);
    const format = askedOutputFormat(args);
    const answer = await raftkvClientFrom(args).leaseRevoke(id);
    if (format === "json") console.log(toJsonString(LeaseRevokeResponseSchema, answer));
    else if (format === "simple") console.log(String(answer.deleted));
    else if (format === "table") console.log(renderTable(["ID", "KEYS DELETED"], [[String(id), String(answer.deleted)]]));
    else console.log(`lease ${id} revoked (${answer.deleted} keys deleted)`);
  },
});

const leaseKeepAliveCommand = defineCommand({
  meta: { name: "keep-alive", description: "Renew a lease every third of its TTL until interrupted (or once with --once)" },
  args: {
    id: { type: "positional", required: true, description: "Lease id" },
    once: { type: "boolean", description: "Renew once and exit" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const id = leaseIdArg("id", args.id);
    const client = raftkvClientFrom(args);
    for (;;) {
      const answer = await client.leaseKeepAlive(id);
      const format = askedOutputFormat(args);
      if (format === "json") console.log(toJsonString(LeaseKeepAliveResponseSchema, answer));
      else if (format === "simple") console.log(String(answer.ttlSeconds));
      else console.log(`lease ${answer.id} keepalived with TTL ${answer.ttlSeconds}s`);
      if (args.once === true) return;
      // A third of the TTL leaves two more tries before the lease could lapse.
      await sleep(Math.max(500, (Number(answer.ttlSeconds) * 1000) / 3));
    }
  },
});

const leaseTtlCommand = defineCommand({
  meta: { name: "ttl", description: "Print a lease's remaining and granted TTL (and its keys with --keys)" },
  args: {
    id: { type: "positional", required: true, description: "Lease id" },
    keys: { type: "boolean", description: "Also list the keys attached to the lease" },
    ...clientArgs,
    ...commandTimeoutArgs,
  },
  async run({ args }) {
    const hex = args.hex === true;
    const format = askedOutputFormat(args);
    const answer = await raftkvClientFrom(args).leaseTimeToLive(leaseIdArg("id", args.id), { keys: args.keys === true });
    if (format === "json") {
      console.log(toJsonString(LeaseTimeToLiveResponseSchema, answer));
      return;
    }
    if (format === "simple") {
      console.log(String(answer.ttlSeconds));
      return;
    }
    if (format === "table") {
      console.log(
        renderTable(
          ["ID", "TTL", "GRANTED TTL", "KEYS"],
          [[String(answer.id), `${answer.ttlSeconds}s`, `${answer.grantedTtlSeconds}s`, answer.keys.map((k) => printableBytes(k, hex)).join(",")]],
        ),
      );
      return;
    }
    const keys = args.keys === true ? `, attached keys [${answer.keys.map((k) => printableBytes(k, hex)).join(", ")}]` : "";
    console.log(`lease ${answer.id} granted with TTL ${answer.grantedTtlSeconds}s, remaining ${answer.ttlSeconds}s${keys}`);
  },
});

const leaseListCommand = defineCommand({
  meta: { name: "list", description: "List the ids of all leases, one per line" },
  args: { ...clientArgs, ...commandTimeoutArgs },
  async run({ args }) {
    const format = outputFormatOf(args);
    const answer = await raftkvClientFrom(args).leaseList();
    if (format === "json") console.log(toJsonString(LeaseLeasesResponseSchema, answer));
    else if (format === "table")
      console.log(
        renderTable(
          ["ID"],
          answer.leases.map((lease) => [String(lease.id)]),
        ),
      );
    else for (const lease of answer.leases) console.log(String(lease.id));
  },
});

export const leaseCommand = defineCommand({
  meta: { name: "lease", description: "Leases: grant, revoke, keep-alive, ttl, list" },
  subCommands: {
    grant: withCliErrors(leaseGrantCommand),
    revoke: withCliErrors(leaseRevokeCommand),
    "keep-alive": withCliErrors(leaseKeepAliveCommand),
    ttl: withCliErrors(leaseTtlCommand),
    list: withCliErrors(leaseListCommand),
  },
});
