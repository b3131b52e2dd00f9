/**
 * A replay's progress as a stream: its state now, then each batch's progress from the bus, ending
 * after a final status. Listening starts before the first read, so no batch in between is missed.
 */
import { NotFoundError } from "../../errors.js";
import type { GraphQLContext } from "../context.js";

export interface ReplayUpdate {
  replayId: string;
  status: string;
}

export async function* replayUpdates(ctx: GraphQLContext, replayId: string): AsyncGenerator<ReplayUpdate> {
  const changes = ctx.bus.subscribe("replayUpdated", replayId);
  try {
    await ctx.bus.listening("replayUpdated", replayId);
    const current = await ctx.db.replay.findUnique({ where: { id: replayId }, select: { status: true } });
    if (!current) throw new NotFoundError("Replay", replayId);
    yield { replayId, status: current.status };
    if (current.status !== "RUNNING") return;
    for await (const change of changes) {
      yield { replayId, status: change.status };
      if (change.status !== "RUNNING") return;
    }
  } finally {
    await changes.return?.();
  }
}
