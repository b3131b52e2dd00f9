/**
 * A saved workflow's clock, below its editor: each cron schedule with its
 * expression, zone, overlap policy, paused state, next and last fire (in the
 * browser's zone and on the schedule's own wall clock), Pause / Resume, "Run
 * now" (triggerSchedule, then the page of the execution it started), its last
 * firings (status, why one was SKIPPED or MISSED, the execution); the one-off
 * runAt entries; and the next runs across all of them (`upcomingRuns`, with
 * each one's wall-clock time).
 *
 * As saved, not as typed: it is read again after every save (`refreshKey`),
 * just after the soonest next fire (a firing is a row written when the instant
 * comes; no subscription announces it), and every few seconds otherwise
 * (a pause in another tab, a firing SKIPPED by its overlap policy).
 */
import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { describeError, Empty, ErrorMessage, Loading } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { graphql, type ResultOf } from "../../graphql.ts";
import { href, navigate } from "../../lib/router.ts";
import { formatDuration } from "../../lib/status.ts";
import { BROWSER_ZONE, formatInZone, formatLocalTime } from "../../lib/zoned-time.ts";

/**
 * Upcoming runs shown (as are 5 firings per schedule: literals in the query, since the server's
 * cost limit counts a variable page size as the largest it may be).
 */
const UPCOMING = 5;
/** Read again at most this long after the last answer… */
const POLL_MS = 5000;
/** …and at least this long after it, however soon the next fire (an every-second schedule). */
const MIN_POLL_MS = 1000;
/** A firing is written a moment after its instant. */
const AFTER_FIRE_MS = 400;

const SchedulesQuery = graphql(`
  query WorkflowSchedules($id: ID!) {
    workflow(id: $id) {
      id
      isActive
      schedules {
        id
        cron
        timezone
        payload
        overlap
        catchupWindowMs
        paused
        nextFireAt
        lastFireAt
        lastExecutionId
        firings(first: 5) {
          scheduledAt
          firedAt
          status
          manual
          executionId
          reason
          missedCount
        }
      }
      runAt {
        id
        at
        payload
        nextFireAt
        firedAt
        executionId
      }
    }
    upcomingRuns(workflowId: $id, count: 5) {
      scheduleId
      at
      localTime
      timezone
    }
  }
`);

const PauseSchedule = graphql(`
  mutation PauseSchedule($workflowId: ID!, $scheduleId: ID!) {
    pauseSchedule(workflowId: $workflowId, scheduleId: $scheduleId) {
      id
      paused
      nextFireAt
    }
  }
`);

const ResumeSchedule = graphql(`
  mutation ResumeSchedule($workflowId: ID!, $scheduleId: ID!) {
    resumeSchedule(workflowId: $workflowId, scheduleId: $scheduleId) {
      id
      paused
      nextFireAt
    }
  }
`);

const TriggerSchedule = graphql(`
  mutation TriggerSchedule($workflowId: ID!, $scheduleId: ID!) {
    triggerSchedule(workflowId: $workflowId, scheduleId: $scheduleId) {
      status
      reason
      execution {
        id
      }
    }
  }
`);

type Schedules = NonNullable<ResultOf<typeof SchedulesQuery>["workflow"]>;
type Schedule = Schedules["schedules"][number];
type Firing = Schedule["firings"][number];

export function SchedulesPanel({ workflowId, refreshKey }: { workflowId: string; refreshKey: unknown }) {
  const titleId = useId();
  const [result, reexecute] = useQuery({
    query: SchedulesQuery,
    variables: { id: workflowId },
    requestPolicy: "network-only",
  });
  const [fetchedAt, setFetchedAt] = useState<number>();
  const workflow = result.data?.workflow;

  useEffect(() => {
    if (result.data) setFetchedAt(Date.now());
  }, [result.data]);

  // After a save: the entries as saved now.
  const firstKey = useRef(refreshKey);
  useEffect(() => {
    if (refreshKey === firstKey.current) return;
    firstKey.current = refreshKey;
    reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);

  // Just after the soonest next fire, or every few seconds.
  useEffect(() => {
    if (!result.data || result.fetching) return;
    const next = [...(workflow?.schedules ?? []), ...(workflow?.runAt ?? [])]
      .map((entry) => (entry.nextFireAt ? Date.parse(entry.nextFireAt) : Number.NaN))
      .filter((at) => !Number.isNaN(at));
    const soonest = next.length > 0 ? Math.min(...next) : Number.POSITIVE_INFINITY;
    const wait = Math.max(MIN_POLL_MS, Math.min(POLL_MS, soonest - Date.now() + AFTER_FIRE_MS));
    const timer = setTimeout(() => reexecute({ requestPolicy: "network-only" }), wait);
    return () => clearTimeout(timer);
  }, [result.data, result.fetching, workflow, reexecute]);

  const schedules = workflow?.schedules ?? [];
  const runAt = workflow?.runAt ?? [];
  const upcoming = result.data?.upcomingRuns ?? [];
  return (
    <section
      className="schedules-panel"
      aria-labelledby={titleId}
      data-testid="schedules-panel"
      data-fetched-at={fetchedAt}
    >
      <div className="title-row">
        <h2 id={titleId}>Schedules</h2>
        <span className="subtle">
          As saved. Times in this browser's zone ({BROWSER_ZONE}), then in each schedule's own.
          {fetchedAt ? ` Read at ${formatInZone(new Date(fetchedAt).toISOString(), BROWSER_ZONE)}.` : ""}
        </span>
      </div>
      {result.fetching && !result.data ? <Loading what="the schedules" /> : null}
      {result.error ? <ErrorMessage error={result.error} /> : null}
      {workflow && !workflow.isActive && (schedules.length > 0 || runAt.length > 0) ? (
        <p className="state" data-testid="schedules-inactive">
          This workflow is inactive: its schedules do not fire. Activated again, each starts from its next instant.
        </p>
      ) : null}
      {workflow && schedules.length === 0 && runAt.length === 0 ? (
        <Empty>
          No schedules. Add cron entries (Schedules) or one-off starts (Run at) in the run settings above, then save.
        </Empty>
      ) : null}
      {schedules.map((schedule) => (
        <ScheduleCard
          key={schedule.id}
          workflowId={workflowId}
          schedule={schedule}
          workflowActive={workflow?.isActive ?? true}
        />
      ))}
      {runAt.length > 0 ? <RunAtTable entries={runAt} /> : null}
      {schedules.length > 0 || runAt.length > 0 ? <UpcomingRuns runs={upcoming} /> : null}
    </section>
  );
}

/** An instant in the browser's zone, then in `zone` (unless that is the same zone). */
function When({ iso, zone }: { iso: string; zone: string }) {
  return (
    <span className="when">
      <time dateTime={iso}>{formatInZone(iso, BROWSER_ZONE)}</time>
      {zone !== BROWSER_ZONE ? <span className="subtle">{formatInZone(iso, zone)}</span> : null}
    </span>
  );
}

function executionLink(id: string) {
  return (
    <a href={href(`executions/${id}`)} title={id}>
      <code>{id.slice(0, 8)}</code>
    </a>
  );
}

function ScheduleCard({
  workflowId,
  schedule,
  workflowActive,
}: {
  workflowId: string;
  schedule: Schedule;
  workflowActive: boolean;
}) {
  const titleId = useId();
  const [pauseState, pause] = useMutation(PauseSchedule);
  const [resumeState, resume] = useMutation(ResumeSchedule);
  const [triggerState, trigger] = useMutation(TriggerSchedule);
  const [outcome, setOutcome] = useState<string>();
  const error = pauseState.error ?? resumeState.error ?? triggerState.error;
  const busy = pauseState.fetching || resumeState.fetching;
  const variables = { workflowId, scheduleId: schedule.id };
  const payloadSet = typeof schedule.payload === "object" && Object.keys(schedule.payload ?? {}).length > 0;

  const runNow = async () => {
    setOutcome(undefined);
    const result = await trigger(variables);
    const firing = result.data?.triggerSchedule;
    if (firing?.execution) navigate(`executions/${firing.execution.id}`);
    else if (firing) setOutcome(`${firing.status}${firing.reason ? `: ${firing.reason}` : ""} (no execution started)`);
  };

  return (
    <article className="schedule" aria-labelledby={titleId} data-testid={`schedule-${schedule.id}`}>
      <h3 id={titleId}>
        Schedule <code>{schedule.id}</code>{" "}
        <span className={`schedule-state${schedule.paused ? " paused" : ""}`} data-testid="schedule-state">
          {schedule.paused ? "paused" : "active"}
        </span>
      </h3>
      <dl className="facts">
        <dt>Cron</dt>
        <dd>
          <code data-testid="schedule-cron">{schedule.cron}</code>
        </dd>
        <dt>Time zone</dt>
        <dd>{schedule.timezone}</dd>
        <dt>Overlap</dt>
        <dd>{schedule.overlap}</dd>
        <dt>Catch-up window</dt>
        <dd>{schedule.catchupWindowMs > 0 ? formatDuration(schedule.catchupWindowMs) : "none"}</dd>
        {payloadSet ? (
          <>
            <dt>Payload</dt>
            <dd>
              <code className="payload">{JSON.stringify(schedule.payload)}</code>
            </dd>
          </>
        ) : null}
        <dt>Next fire</dt>
        <dd data-testid="next-fire">
          {schedule.nextFireAt ? (
            <When iso={schedule.nextFireAt} zone={schedule.timezone} />
          ) : (
            <span className="subtle">
              none{schedule.paused ? " (paused)" : !workflowActive ? " (workflow inactive)" : ""}
            </span>
          )}
        </dd>
        <dt>Last fire</dt>
        <dd data-testid="last-fire">
          {schedule.lastFireAt ? (
            <>
              <When iso={schedule.lastFireAt} zone={schedule.timezone} />
              {schedule.lastExecutionId ? <> {executionLink(schedule.lastExecutionId)}</> : null}
            </>
          ) : (
            <span className="subtle">never</span>
          )}
        </dd>
      </dl>
      <div className="actions">
        {schedule.paused ? (
          <button
            type="button"
            disabled={busy}
            aria-label={`Resume ${schedule.id}`}
            onClick={() => void resume(variables)}
          >
            Resume
          </button>
        ) : (
          <button
            type="button"
            disabled={busy}
            aria-label={`Pause ${schedule.id}`}
            onClick={() => void pause(variables)}
          >
            Pause
          </button>
        )}
        <button
          type="button"
          className="primary"
          disabled={triggerState.fetching}
          aria-label={`Run now ${schedule.id}`}
          onClick={() => void runNow()}
        >
          {triggerState.fetching ? "Starting…" : "Run now"}
        </button>
      </div>
      {error ? <ErrorMessage error={describeError(error)} /> : null}
      {outcome ? (
        <p className="state" role="status" data-testid="run-now-outcome">
          {outcome}
        </p>
      ) : null}
      <Firings firings={schedule.firings} zone={schedule.timezone} scheduleId={schedule.id} />
    </article>
  );
}

function Firings({ firings, zone, scheduleId }: { firings: readonly Firing[]; zone: string; scheduleId: string }) {
  if (firings.length === 0) return <p className="subtle">No firings yet.</p>;
  return (
    <table className="list compact firings" data-testid="firings">
      <caption>Last firings of {scheduleId}, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Instant</th>
          <th scope="col">Status</th>
          <th scope="col">Execution</th>
        </tr>
      </thead>
      <tbody>
        {firings.map((firing) => (
          <tr key={firing.scheduledAt} data-testid="firing" data-scheduled-at={firing.scheduledAt}>
            <td>
              <When iso={firing.scheduledAt} zone={zone} />
            </td>
            <td>
              <StatusBadge status={firing.status} />
              {firing.manual ? <span className="subtle"> run now</span> : null}
              {firing.reason ? (
                <div className="reason" data-testid="firing-reason">
                  {firing.reason}
                  {firing.missedCount ? ` (${firing.missedCount} instant${firing.missedCount === 1 ? "" : "s"})` : ""}
                </div>
              ) : null}
            </td>
            <td>{firing.executionId ? executionLink(firing.executionId) : <span className="subtle">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunAtTable({ entries }: { entries: Schedules["runAt"] }) {
  return (
    <table className="list compact run-at" data-testid="run-at">
      <caption>One-off runs (Run at)</caption>
      <thead>
        <tr>
          <th scope="col">Entry</th>
          <th scope="col">At</th>
          <th scope="col">Fired</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} data-testid={`run-at-${entry.id}`}>
            <td>
              <code>{entry.id}</code>
            </td>
            <td>
              <When iso={entry.at} zone="UTC" />
            </td>
            <td>
              {entry.firedAt ? (
                <>
                  <When iso={entry.firedAt} zone="UTC" />
                  {entry.executionId ? <> {executionLink(entry.executionId)}</> : null}
                </>
              ) : (
                <span className="subtle">{entry.nextFireAt ? "not yet" : "will not fire (workflow inactive)"}</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function UpcomingRuns({ runs }: { runs: ResultOf<typeof SchedulesQuery>["upcomingRuns"] }) {
  const titleId = useId();
  return (
    <section className="upcoming" aria-labelledby={titleId}>
      <h3 id={titleId}>Next {UPCOMING} runs</h3>
      {runs.length === 0 ? (
        <p className="subtle">None: every entry is paused, fired or its workflow inactive.</p>
      ) : (
        <ol data-testid="upcoming-runs">
          {runs.map((run) => (
            <li key={`${run.scheduleId}-${run.at}`} data-testid="upcoming-run">
              <time dateTime={run.at}>{formatInZone(run.at, BROWSER_ZONE)}</time> <code>{run.scheduleId}</code>{" "}
              <span className="subtle">
                on its clock {formatLocalTime(run.localTime)} ({run.timezone})
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
