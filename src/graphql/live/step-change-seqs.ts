/**
 * Step.seq of a step read by a query: the seq of the change that set the
 * status the row shows, from the change log. Matching the status (rather than
 * taking the step's latest change) keeps seq and status consistent when a
 * change commits between reading the row and reading the log: a client that
 * keeps, per step, the state with the highest seq then never keeps an older
 * state under a newer seq.
 *
 * Read in batches: the steps resolved together (a page of Execution.steps,
 * the executions of a list) cost one query, not one each.
 */
import type { GraphQLContext } from "../context.js";

export interface StepRow {
  id: string;
  executionId: string;
  status: string;
  /** The step's creation seq: the answer when the log holds no change for its status. */
  seq: number;
}

interface Wanted {
  step: StepRow;
  resolve(seq: number): void;
  reject(error: unknown): void;
}

const pending = new WeakMap<GraphQLContext, Wanted[]>();

export function stepChangeSeq(ctx: GraphQLContext, step: StepRow): Promise<number> {
  return new Promise((resolve, reject) => {
    let batch = pending.get(ctx);
    if (!batch) {
      batch = [];
      pending.set(ctx, batch);
      const ready = batch;
      // After the current burst of resolvers (a list's items resolve in one go), like DataLoader.
      void Promise.resolve().then(() =>
        process.nextTick(() => {
          pending.delete(ctx);
          void load(ctx, ready);
        }),
      );
    }
    batch.push({ step, resolve, reject });
  });
}

/**
 * Steps per query: PostgreSQL takes at most 65,535 parameters in a statement,
 * and a large GRAPHQL_MAX_COST may let one operation resolve more steps.
 */
const STEPS_PER_QUERY = 10_000;

async function load(ctx: GraphQLContext, batch: readonly Wanted[]): Promise<void> {
  for (let start = 0; start < batch.length; start += STEPS_PER_QUERY) {
    await loadChunk(ctx, batch.slice(start, start + STEPS_PER_QUERY));
  }
}

async function loadChunk(ctx: GraphQLContext, batch: readonly Wanted[]): Promise<void> {
  try {
    const groups = await ctx.db.executionChange.groupBy({
      by: ["stepId", "status"],
      where: {
        executionId: { in: [...new Set(batch.map((w) => w.step.executionId))] },
        stepId: { in: batch.map((w) => w.step.id) },
      },
      _max: { seq: true },
    });
    const latest = new Map(groups.map((g) => [`${g.stepId}\u0000${g.status}`, g._max.seq]));
    for (const { step, resolve } of batch) resolve(latest.get(`${step.id}\u0000${step.status}`) ?? step.seq);
  } catch (error) {
    for (const { reject } of batch) reject(error);
  }
}
