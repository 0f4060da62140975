"""The dispatcher: sleeps until the earliest due job, claims due jobs, runs their handlers,
records outcomes.

Deliveries go out at their exact local time rather than at the next hourly tick. Any number of
dispatchers may run against one database; the claim and the unique keys keep every job to one
run. Rules (DESIGN.md "Delivery and failure"):
- a drop past its deadline is `expired`, never sent; marks always run;
- paused / not-started (re-checked here: a coach may pause after planning) → `skipped`;
- transient failure → retry after 5, 10, 20 … minutes, at most `retry_max` times and never past
  the deadline, then `dead` with one alert;
- recipient unreachable → `failed`, the client is marked unreachable with one job card, and
  their drops are skipped until they interact again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from loguru import logger

from bot.config import Settings
from bot.core import alert_buffer
from bot.core.clock import Clock
from bot.core.delivery import PermanentDeliveryError, RecipientUnreachable, TransientDeliveryError, Transport
from bot.core.engine import ActionKind, EngineRegistry, JobContext, NotYet
from bot.core.outcomes import OutcomeWriter
from bot.core.planner import batch_rules
from bot.domain import timezones
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.repo import alerts, batches, cards, clients, coaches
from bot.repo import jobs as jobs_repo

# Errors a handler can only have met on the database connection (delivery errors arrive
# classified by the transport) …
_DB_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,  # the server is restarting
    asyncpg.CannotConnectNowError,  # … and not yet accepting connections
    ConnectionError,
)
# … and, with timeouts and socket errors, those of the loop's own statements: it waits and
# tries again.
_DB_ERRORS = (*_DB_LOST, OSError, TimeoutError)

# How often a claim looks for batches while none is known to be due (after the loop's look at a
# wake-up): a batch another process plans while this one is claiming is found this late at most,
# for one statement per BATCH_LOOK; while it sleeps, at its next wake-up (at most
# DISPATCHER_MAX_SLEEP_SECONDS, as for that process's jobs).
BATCH_LOOK = dt.timedelta(seconds=5)

# Outcomes counted as failures in /metrics, by reason. (Unreachable clients are counted apart.)
_FAILURE_REASONS = {
    JobStatus.dead: "retries_exhausted",
    JobStatus.expired: "deadline_passed",
    JobStatus.failed: "permanent",
}


@dataclass
class DispatchStats:
    """What this process's dispatcher did, for /metrics."""

    claimed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    # Seconds late of the most recent deliveries (bounded: a rolling window, not history).
    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    last_cycle_at: dt.datetime | None = None

    def count(
        self, job: Job, status: JobStatus, now: dt.datetime, *, delivery: bool, reason: str | None
    ) -> None:
        self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
        if status == JobStatus.sent and delivery:
            self.lateness.append(max(0.0, (now - job.due_at).total_seconds()))
        if reason is not None:
            self.failures[reason] = self.failures.get(reason, 0) + 1

    def lateness_quantiles(self) -> dict[str, float]:
        if not self.lateness:
            return {}
        if len(self.lateness) == 1:  # statistics.quantiles needs two points before Python 3.13
            (only,) = self.lateness
            return {"0.5": only, "0.95": only, "0.99": only}
        cuts = statistics.quantiles(self.lateness, n=100, method="inclusive")
        return {"0.5": cuts[49], "0.95": cuts[94], "0.99": cuts[98]}


class Dispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        registry: EngineRegistry,
        transport: Transport,
        settings: Settings,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.registry = registry
        self.transport = transport
        self.settings = settings
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:10]}"
        self.stats = DispatchStats()
        self._alarm = clock.alarm()
        self._sleeping_until: dt.datetime | None = None
        self._stopping = False
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._semaphore = asyncio.Semaphore(settings.dispatch_concurrency)
        self.outcomes = OutcomeWriter(pool, clock)  # plain outcomes, written together
        # What a batch's claim needs to pick its clients, as the planner would have.
        self._rules, self._own_times = batch_rules(list(registry))
        # When the earliest batch falls due (None: none known), from the last wake-up's look and
        # the planner's word; the claim asks the batches only once one is due.
        self._batch_due: dt.datetime | None = None
        self._batch_looked_at: dt.datetime | None = None
        self._log = logger.bind(worker=self.worker_id)
        # Called after every recorded outcome: metrics, the simulator's printout.
        self.listeners: list[Callable[[Job, JobStatus, dt.datetime], None]] = []

    # --- the loop ------------------------------------------------------------------------
    async def run(self) -> None:
        """Dispatch until `stop()`. Never ends on an error: a failed cycle is logged and retried."""
        with self.clock.participant():
            looked = False
            while not self._stopping:
                try:
                    if not looked:  # batches left by a process before us may be due already
                        await self._next_wakeup()
                        looked = True
                    ran = await self.dispatch_due()
                    wake_at = await self._next_wakeup()
                    if ran == 0 and wake_at <= self.clock.now():
                        # Due work exists but another worker holds it (SKIP LOCKED): don't spin.
                        wake_at = self.clock.now() + dt.timedelta(seconds=1)
                except _DB_ERRORS as exc:
                    self._log.warning("dispatcher lost the database ({}); retrying shortly", exc)
                    wake_at = self.clock.now() + dt.timedelta(seconds=5)
                except Exception:
                    self._log.exception("dispatcher cycle failed; retrying shortly")
                    wake_at = self.clock.now() + dt.timedelta(seconds=5)
                if self._stopping:
                    break
                self._sleeping_until = wake_at
                await self._alarm.sleep_until(wake_at)
                self._sleeping_until = None

    def notify(self, due_at: dt.datetime | None, batch_due: dt.datetime | None = None) -> None:
        """A planner inserted a job due at `due_at` (its earliest batch due at `batch_due`): wake up
        early if it is nearer than our sleep."""
        if batch_due is not None and (self._batch_due is None or batch_due < self._batch_due):
            self._batch_due = batch_due
        if due_at is None:
            return
        if self._sleeping_until is None or due_at < self._sleeping_until:
            self._alarm.ring()

    def stop(self) -> None:
        self._stopping = True
        self._alarm.ring()

    async def _next_wakeup(self) -> dt.datetime:
        now = self.clock.now()
        cap = now + dt.timedelta(seconds=self.settings.dispatcher_max_sleep_seconds)
        async with self.pool.acquire() as conn:
            found = await jobs_repo.next_wakeup(conn, list(self._rules))
        self._batch_due, self._batch_looked_at = found.batch, now
        times = [t for t in found if t is not None]
        return cap if not times else max(now, min(*times, cap))

    # --- claiming and running ------------------------------------------------------------
    async def dispatch_due(self) -> int:
        """Claim and run everything due now; return how many jobs were run.

        A pipeline, not batch after batch: claims are refilled as jobs finish, so the sends
        queued at the rate limiter never run dry while a batch's slowest job finishes and the
        next claim is made. At most `claim_batch_size` jobs are claimed (leased) at once, and
        `dispatch_concurrency` of them run at a time; a refill claims at least half a batch, so
        the claim's round trip is shared by many jobs.
        """
        total = 0
        lease = dt.timedelta(seconds=self.settings.lease_seconds)
        limit = self.settings.claim_batch_size
        refill_at = max(1, limit // 2)
        running: set[asyncio.Task[None]] = set()
        heartbeat = asyncio.create_task(self._keep_claims(lease))
        try:
            while not self._stopping:
                room = limit - len(running)
                batch: list[tuple[Job, ClientProfile | None]] = []
                if room >= refill_at or not running:
                    async with self.pool.acquire() as conn:
                        batch = await self._claim(conn, lease, room)
                    if batch and self._stopping:  # shutdown began while we claimed: hand them back
                        async with self.pool.acquire() as conn:
                            await jobs_repo.release(
                                conn, [job.id for job, _ in batch], self.worker_id, self.clock.now()
                            )
                        break
                    for job, client in batch:
                        task = asyncio.create_task(self._run_guarded(job, client))
                        self._in_flight[job.id] = task
                        running.add(task)
                    self.stats.claimed += len(batch)
                    total += len(batch)
                if not running:
                    break  # nothing in flight and nothing more due
                if not batch or len(running) >= limit - refill_at + 1:
                    done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    running -= done
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        self.stats.last_cycle_at = self.clock.now()
        return total

    async def _claim(
        self, conn: asyncpg.Connection, lease: dt.timedelta, room: int
    ) -> list[tuple[Job, ClientProfile | None]]:
        """Up to `room` due jobs, in the order they fell due, as if every batch were its jobs: the
        jobs due before the earliest due batch, then the batch's (made as they are claimed:
        bot.repo.batches), then the jobs due up to the next batch. A batch that cannot be claimed
        does not hold up the jobs after it, and what an earlier step claimed is always run."""
        now = self.clock.now()
        await self._look_for_batches(conn, now)
        batch_due = self._batch_due
        if batch_due is None or batch_due > now:
            return await jobs_repo.claim(conn, now, lease, room, self.worker_id)
        claimed = await jobs_repo.claim(conn, now, lease, room, self.worker_id, due_by=batch_due)
        try:
            if len(claimed) < room:
                try:
                    made, self._batch_due = await batches.claim(
                        conn, self._rules, self._own_times, now, lease, room - len(claimed), self.worker_id
                    )
                    claimed += made
                except Exception:
                    self._log.exception("could not claim from the batches; the other due jobs go on")
                    self._batch_due = None  # until the next look
            if len(claimed) < room:
                claimed += await jobs_repo.claim(
                    conn, now, lease, room - len(claimed), self.worker_id, due_by=self._batch_due
                )
        except Exception as exc:
            if not claimed:
                raise
            self._log.warning("could not claim more ({}); running the {} claimed", exc, len(claimed))
        return claimed

    async def _look_for_batches(self, conn: asyncpg.Connection, now: dt.datetime) -> None:
        """While no batch is known to be due, look again every BATCH_LOOK since the last look (the
        loop looks at every wake-up): another process may have planned one mid-cycle, or the
        planner's word may have crossed a claim's."""
        if self._batch_due is not None and self._batch_due <= now:
            return
        if self._batch_looked_at is None or now - self._batch_looked_at < BATCH_LOOK:
            return
        self._batch_looked_at = now
        self._batch_due = await batches.earliest(conn, list(self._rules))

    async def _keep_claims(self, lease: dt.timedelta) -> None:
        """Renew the lease of every job in flight every third of it. Real time on purpose:
        leases guard against real workers dying, and this task must not hold the virtual clock."""
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            job_ids = list(self._in_flight)
            if not job_ids:
                continue
            try:
                async with self.pool.acquire() as conn:
                    await jobs_repo.renew(conn, job_ids, self.worker_id, self.clock.now() + lease)
            except _DB_ERRORS as exc:
                self._log.warning("could not renew claims ({}); they may be retried elsewhere", exc)
            except Exception:  # anything else (a deadlock, say): this loop must outlive it
                self._log.exception("could not renew claims; trying again in a third of the lease")

    async def _run_guarded(self, job: Job, client: ClientProfile | None) -> None:
        try:
            async with self._semaphore:
                await self._run(job, client)
        except _DB_ERRORS as exc:
            # The outcome could not be recorded; the lease runs out and the job is retried,
            # with the same message nonce, so Discord does not post it twice.
            self._log.warning("{}: could not record outcome ({}); lease will expire", job.key, exc)
        except Exception:
            self._log.exception("{}: unexpected error while recording", job.key)
        finally:
            self._in_flight.pop(job.id, None)

    async def _run(self, job: Job, client: ClientProfile | None) -> None:
        now = self.clock.now()
        spec = self.registry.spec(job.engine, job.action)
        handler = self.registry.handler(job.engine, job.action)
        log = self._log.bind(job=job.key)
        if spec is None or handler is None:
            await self._finish(job, JobStatus.failed, error=f"no handler for {job.engine}.{job.action}")
            return
        if job.attempts > self.settings.retry_max + 1:
            # Its workers kept dying mid-run (each reclaim counts): stop here, and say so.
            await self._give_up(job, client, "its worker stopped before recording an outcome, every time")
            return
        if job.user_id is not None:
            if client is None:
                await self._finish(job, JobStatus.skipped, result={"reason": "client removed"})
                return
            if not client.active_on(job.local_date):
                reason = "paused" if client.paused_on(job.local_date) else "not started"
                await self._finish(job, JobStatus.skipped, result={"reason": reason})
                return
            if spec.kind == ActionKind.drop and not client.reachable:
                await self._finish(job, JobStatus.skipped, result={"reason": "unreachable"})
                return
        # After the client checks: a paused client's drop is skipped, not "expired".
        if spec.kind == ActionKind.drop and job.deadline is not None and now >= job.deadline:
            await self._finish(job, JobStatus.expired, error="deadline passed before it could be sent")
            return

        context = JobContext(job, client, self.pool, self.clock, self.transport, self.settings, self.registry)
        try:
            outcome = await handler(context)
        except RecipientUnreachable as exc:
            await self._unreachable(job, exc)
        except PermanentDeliveryError as exc:
            log.warning("permanent failure: {}", exc)
            await self._failed(job, client, exc)
        except TransientDeliveryError as exc:
            await self._transient(job, client, f"delivery: {exc}", exc)
        except NotYet as exc:
            await self._transient(job, client, f"not yet: {exc}", exc)
        except _DB_LOST:
            raise  # the database, not the handler: _run_guarded says so and the lease brings it back
        except Exception as exc:
            # Seed 000: "Engine run failure → log error, add to retry queue".
            log.exception("handler failed")
            await self._transient(job, client, f"{type(exc).__name__}: {exc}", exc)
        else:
            await self._finish(job, outcome.status, result=outcome.detail or None)

    async def _finish(
        self,
        job: Job,
        status: JobStatus,
        *,
        result: dict[str, object] | None = None,
        error: str | None = None,
    ) -> None:
        recorded = await self.outcomes.record(jobs_repo.Outcome(job, status, result, error))
        if recorded:
            self._recorded(job, status)
        else:
            self._log.warning("{}: lease lost before recording {}", job.key, status)

    async def _transient(self, job: Job, client: ClientProfile | None, error: str, exc: Exception) -> None:
        now = self.clock.now()
        retries_done = job.attempts - 1
        delay = dt.timedelta(
            minutes=self.settings.retry_first_delay_minutes * self.settings.retry_backoff_factor**retries_done
        )
        when = now + delay
        if retries_done < self.settings.retry_max and (job.deadline is None or when < job.deadline):
            async with self.pool.acquire() as conn:
                await jobs_repo.retry_at(conn, job, when, error, now)
            self._log.info("{}: attempt {} failed ({}); retry at {}", job.key, job.attempts, error, when)
            return
        await self._give_up(job, client, error, exc)

    async def _give_up(
        self, job: Job, client: ClientProfile | None, error: str, exc: Exception | None = None
    ) -> None:
        """`dead`, with exactly one alert for the coaches (seed: retry 3x → escalate). `exc` is
        the last failure; None when the job's workers kept dying."""
        spec = self.registry.spec(job.engine, job.action)
        message = alert_buffer.dead_alert(
            job,
            client,
            label=self.registry.action_label(job.engine, job.action),
            kind=spec.kind if spec is not None else None,
            exc=exc,
            now=self.clock.now(),
            can_trigger=self._can_trigger(job, client),
        )
        await self._finish_with_alert(job, JobStatus.dead, "job_dead", error, message)
        self._log.error("{}: dead after {} attempts: {}", job.key, job.attempts, error)

    async def _failed(self, job: Job, client: ClientProfile | None, exc: PermanentDeliveryError) -> None:
        """A permanent failure (a payload Discord refused, a missing channel): no retry can help,
        so a coach must hear about it rather than the delivery vanishing."""
        spec = self.registry.spec(job.engine, job.action)
        message = alert_buffer.failed_alert(
            job,
            client,
            label=self.registry.action_label(job.engine, job.action),
            kind=spec.kind if spec is not None else None,
            exc=exc,
        )
        await self._finish_with_alert(job, JobStatus.failed, "job_failed", str(exc), message)

    def _can_trigger(self, job: Job, client: ClientProfile | None) -> bool:
        """Whether /trigger could still send this job: a triggerable drop of the client's today,
        before its deadline (what the /trigger use case checks)."""
        if client is None or job.user_id is None:
            return False
        spec = self.registry.spec(job.engine, job.action)
        if spec is None or all(s.name != spec.name for s in self.registry.triggerable()):
            return False
        now = self.clock.now()
        if job.deadline is not None and now >= job.deadline:
            return False
        try:
            today = timezones.local_date(timezones.parse_timezone(client.zone_on(job.local_date)), now)
        except timezones.InvalidTimezone:
            return False
        return today == job.local_date

    async def _finish_with_alert(
        self, job: Job, status: JobStatus, kind: str, error: str, message: str
    ) -> None:
        now = self.clock.now()
        async with self.pool.acquire() as conn, conn.transaction():
            recorded = await jobs_repo.finish(conn, job, status, now, error=error)
            if recorded:
                coach = None
                if job.user_id is not None:
                    coach = await coaches.coach_on(conn, job.user_id, job.local_date)
                await alerts.add(
                    conn,
                    kind=kind,
                    job_id=job.id,
                    user_id=job.user_id,
                    message=alert_buffer.for_coach(message, coach),
                    now=now,
                    coach_id=coach.coach_id if coach else None,
                )
        if recorded:
            self._recorded(job, status)

    async def _unreachable(self, job: Job, exc: RecipientUnreachable) -> None:
        now = self.clock.now()
        async with self.pool.acquire() as conn, conn.transaction():
            recorded = await jobs_repo.finish(conn, job, JobStatus.failed, now, error=f"unreachable: {exc}")
            if recorded and job.user_id is not None:
                since = await clients.mark_unreachable(conn, job.user_id, now)
                await cards.raise_card(
                    conn,
                    kind="unreachable",
                    user_id=job.user_id,
                    scope=(since or now).isoformat(),
                    summary="Discord refuses DMs to this client (DMs closed or no shared server). Their "
                    "drops are paused until they use the bot again.",
                    details={"error": str(exc), "job": job.key},
                    urgency=1,
                    now=now,
                )
        if recorded:
            self._recorded(job, JobStatus.failed, reason="unreachable")

    def _recorded(self, job: Job, status: JobStatus, *, reason: str | None = None) -> None:
        now = self.clock.now()
        spec = self.registry.spec(job.engine, job.action)
        reason = reason or _FAILURE_REASONS.get(status)
        self.stats.count(
            job, status, now, delivery=spec is not None and spec.kind == ActionKind.drop, reason=reason
        )
        for listener in self.listeners:
            try:
                listener(job, status, now)
            except Exception:
                self._log.exception("outcome listener failed")

    async def drain(self, grace_seconds: float) -> None:
        """Shutdown: let in-flight jobs finish for up to `grace_seconds`, then give the rest back."""
        self.stop()
        pending = list(self._in_flight.values())
        if pending:
            _, still = await asyncio.wait(pending, timeout=grace_seconds)
            ids = [job_id for job_id, task in self._in_flight.items() if task in still]
            for task in still:
                task.cancel()
            # Outcomes already handed to the writer are written first; the release's fence
            # (still running, still ours) then leaves those jobs alone.
            await self.outcomes.drained(grace_seconds=5.0)
            if ids:
                async with self.pool.acquire() as conn:
                    await jobs_repo.release(conn, ids, self.worker_id, self.clock.now())
                self._log.warning("released {} unfinished job(s) at shutdown", len(ids))
