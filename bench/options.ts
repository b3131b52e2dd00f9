/**
 * The command line of `npm run bench`. Every knob has a default; `--quick`
 * swaps in small ones (a smoke test that finishes in under a minute).
 */
import { parseArgs } from "node:util";

export const SECTIONS = [
  "limits",
  "chain",
  "lead-routing",
  "live",
  "triggers",
  "delays",
  "waits",
  "flow-control",
  "for-each",
  "schedules",
  "pruning",
  "search",
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Repetitions of every measurement; each figure is their median, with min and max. */
  runs: number;
  /** How long each throughput run feeds the engine. */
  durationMs: number;
  /**
   * Unmeasured load before a throughput section's runs (and a third of it, in
   * unmeasured rounds, before each live-update subscriber count): the engine's
   * node processes reach their steady speed only once V8 has compiled their
   * hot code, which takes thousands of executions.
   */
  warmupMs: number;
  /** Concurrent POST /events clients for Lead routing, one measurement per value. */
  clients: number[];
  /** Worker processes (each with `concurrency` steps at once). */
  workers: number;
  /** WORKER_CONCURRENCY of each worker, and of the bare BullMQ limit. */
  concurrency: number;
  /** executionUpdated subscribers, one measurement per value. */
  subscribers: number[];
  /** At most this many WebSocket connections; more subscribers share them round-robin. */
  sockets: number;
  /** 1-second delays started per delay-accuracy run. */
  delays: number;
  /** Event waits held open while POST /events is timed (the waits section). */
  waits: number;
  /** Executions per flow-control run (unlimited, then limited to 1 per key). */
  flow: number;
  /** Items of the for_each run (maxConcurrency 10, then 100). */
  items: number;
  /** Executions generated in PostgreSQL for the execution-search section. */
  searchRows: number;
  /** Finished executions generated for the pruner to delete (the pruning section). */
  pruneRows: number;
  /** Only these sections (default: all). */
  only: Section[];
  /** Where the results go. */
  out: string;
}

export const USAGE = `npm run bench -- [options]

  --quick              small settings: a smoke test in under a minute
  --runs N             repetitions of every measurement (default 3, quick 1)
  --duration S         seconds each throughput run feeds the engine (default 10, quick 2)
  --warmup S           seconds of unmeasured load before the chain and Lead routing runs, a third of it before each live-update count (default 15, quick 1)
  --clients A,B,C      concurrent POST /events clients for Lead routing (default 1,10,50)
  --workers N          worker processes (default 1)
  --concurrency N      WORKER_CONCURRENCY of each worker and of the bare BullMQ limit (default 16)
  --subscribers A,B,C  executionUpdated subscribers (default 1,100,1000)
  --sockets N          most WebSocket connections for them; more subscribers share (default 1000)
  --delays N           1-second delays per delay-accuracy run (default 40, quick 10)
  --waits N            open event waits while POST /events is timed (default 10000, quick 300)
  --flow N             executions per flow-control run, unlimited then 1 per key over 100 keys (default 3000, quick 200)
  --items N            items of the for_each runs, maxConcurrency 10 then 100 (default 2000, quick 100)
  --search-rows N      executions generated in PostgreSQL for the search section (default 1000000, quick 20000)
  --prune-rows N       finished executions generated for the pruning section to delete (default 200000, quick 5000)
  --only A,B           only these sections: ${SECTIONS.join(", ")}
  --out FILE           results file (default bench/results.json)
  --help               this text

Needs DATABASE_URL (any database on the PostgreSQL server to use: the bench creates and
drops its own) and REDIS_URL.`;

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: expected a positive integer, got "${text}"`);
  return value;
}

function intList(name: string, text: string): number[] {
  return text.split(",").map((part) => positiveInt(name, part.trim()));
}

function sections(text: string): Section[] {
  return text.split(",").map((part) => {
    const name = part.trim();
    const section = SECTIONS.find((s) => s === name);
    if (!section) throw new Error(`--only: unknown section "${name}" (one of ${SECTIONS.join(", ")})`);
    return section;
  });
}

/** Parses argv; returns undefined when --help was asked for. Throws on a bad option. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      clients: { type: "string" },
      workers: { type: "string" },
      concurrency: { type: "string" },
      subscribers: { type: "string" },
      sockets: { type: "string" },
      delays: { type: "string" },
      waits: { type: "string" },
      flow: { type: "string" },
      items: { type: "string" },
      "search-rows": { type: "string" },
      "prune-rows": { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick === true;
  const durationSeconds = values.duration === undefined ? (quick ? 2 : 10) : Number(values.duration);
  if (!(durationSeconds > 0)) throw new Error(`--duration: expected seconds > 0, got "${values.duration}"`);
  const warmupSeconds = values.warmup === undefined ? (quick ? 1 : 15) : Number(values.warmup);
  if (!(warmupSeconds >= 0)) throw new Error(`--warmup: expected seconds ≥ 0, got "${values.warmup}"`);
  return {
    quick,
    runs: values.runs === undefined ? (quick ? 1 : 3) : positiveInt("runs", values.runs),
    durationMs: Math.round(durationSeconds * 1000),
    warmupMs: Math.round(warmupSeconds * 1000),
    clients: values.clients === undefined ? [1, 10, 50] : intList("clients", values.clients),
    workers: values.workers === undefined ? 1 : positiveInt("workers", values.workers),
    concurrency: values.concurrency === undefined ? 16 : positiveInt("concurrency", values.concurrency),
    subscribers: values.subscribers === undefined ? [1, 100, 1000] : intList("subscribers", values.subscribers),
    sockets: values.sockets === undefined ? 1000 : positiveInt("sockets", values.sockets),
    delays: values.delays === undefined ? (quick ? 10 : 40) : positiveInt("delays", values.delays),
    waits: values.waits === undefined ? (quick ? 300 : 10_000) : positiveInt("waits", values.waits),
    flow: values.flow === undefined ? (quick ? 200 : 3000) : positiveInt("flow", values.flow),
    items: values.items === undefined ? (quick ? 100 : 2000) : positiveInt("items", values.items),
    searchRows:
      values["search-rows"] === undefined
        ? quick
          ? 20_000
          : 1_000_000
        : positiveInt("search-rows", values["search-rows"]),
    pruneRows:
      values["prune-rows"] === undefined ? (quick ? 5_000 : 200_000) : positiveInt("prune-rows", values["prune-rows"]),
    only: values.only === undefined ? [...SECTIONS] : sections(values.only),
    out: values.out ?? new URL("results.json", import.meta.url).pathname,
  };
}
