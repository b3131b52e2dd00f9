/** Bulk replays: preview, start, read and abort (the work itself is the engine's, engine/replays.ts). */
import * as engine from "../engine/index.js";
import { NotFoundError } from "../errors.js";
import type { Replay } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";

export type { ReplayFilter } from "../engine/index.js";

export function previewReplay(deps: ServiceDeps, filter: engine.ReplayFilter): Promise<number> {
  return engine.previewReplay(deps, filter);
}

/** Starts rerunning every execution the filter matches; failed ones from their failed step unless told otherwise. */
export function replayExecutions(
  deps: ServiceDeps,
  filter: engine.ReplayFilter,
  fromFailedStep = true,
): Promise<Replay> {
  return engine.startReplay(deps, filter, fromFailedStep);
}

export async function getReplay(deps: ServiceDeps, id: string): Promise<Replay> {
  const replay = await deps.db.replay.findUnique({ where: { id } });
  if (!replay) throw new NotFoundError("Replay", id);
  return replay;
}

export function abortReplay(deps: ServiceDeps, id: string): Promise<Replay> {
  return engine.abortReplay(deps, id);
}
