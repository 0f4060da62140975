"""Simulated clients for `python -m bot simulate`: people who answer most prompts, some late, some
never, and sometimes type nonsense first. They act through the same functions the Discord
handlers call (bot.engines.training.log_top_set, checkin.record, meals.answer, cardio.log_cardio),
on the virtual
clock, so the simulator exercises validation, corrections, PRs and missed-marking for real.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Awaitable, Callable

import asyncpg
from PIL import Image

from bot.config import Settings
from bot.core.clock import Clock
from bot.domain import measurements as lengths
from bot.domain import photos
from bot.domain.errors import InputError
from bot.domain.lifting import from_kg
from bot.domain.models import Job, JobStatus
from bot.engines import cardio, checkin, meals, training, weekly
from bot.repo import clients as clients_repo
from bot.repo import coaches as coaches_repo
from bot.repo import training as training_repo

Printer = Callable[[str], None]


class SimulatedClients:
    def __init__(
        self, pool: asyncpg.Pool, clock: Clock, settings: Settings, seed: int, out: Printer, verbose: bool
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.settings = settings
        self.seed = seed
        self.out = out
        self.verbose = verbose
        self.counts: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        # Each client's strength and reliability, fixed for the run.
        self._strength: dict[int, float] = {}
        self._reliability: dict[int, float] = {}
        self.silent_from: dt.date | None = None
        self.wake: Callable[[dt.datetime], None] | None = None

    def on_outcome(self, job: Job, status: JobStatus, now: dt.datetime) -> None:
        """A dispatcher listener: react to what a client just received."""
        if status != JobStatus.sent or job.user_id is None:
            return
        # One generator per client, engine and day: what a client does does not depend on the
        # order in which concurrent drops happened to arrive, so a seed gives the same run.
        rng = self._rng(job.engine, job.user_id, job.local_date)
        if (job.engine, job.action) == (training.NAME, "drop"):
            self._spawn(self._train(rng, job.user_id, job.local_date, now))
        elif (job.engine, job.action) == (checkin.NAME, "drop"):
            self._spawn(self._check_in(rng, job.user_id, job.local_date, now))
        elif (job.engine, job.action) == (meals.NAME, "drop"):
            self._spawn(self._meals(rng, job.user_id, job.local_date, now))
        elif (job.engine, job.action) == (cardio.NAME, "drop"):
            self._spawn(self._cardio(rng, job.user_id, job.local_date, now))
        elif (job.engine, job.action) == (weekly.NAME, "drop"):
            self._spawn(self._weekly(rng, job.user_id, job.local_date, now))

    def _rng(self, *what: object) -> random.Random:
        return random.Random(":".join(str(w) for w in (self.seed, *what)))

    def _spawn(self, coroutine: object) -> None:
        # Enter the clock's participants now, synchronously, so virtual time cannot jump past
        # this client's actions before the task gets to run.
        participation = self.clock.participant()
        participation.__enter__()

        async def run() -> None:
            try:
                await coroutine  # type: ignore[misc]
            finally:
                participation.__exit__(None, None, None)

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reliability(self, user_id: int, day: dt.date | None = None) -> float:
        """How likely this client answers; one client in eight goes silent for a week mid-run
        (the coaches should hear about it mid-week, not on Sunday)."""
        if day is not None and self.silent_from is not None and user_id % 8 == 5:
            if self.silent_from <= day < self.silent_from + dt.timedelta(days=7):
                return 0.0
        if user_id not in self._reliability:
            self._reliability[user_id] = self._rng("reliability", user_id).choice((0.97, 0.9, 0.8, 0.55))
        return self._reliability[user_id]

    async def _later(self, rng: random.Random, now: dt.datetime, min_minutes: int, max_minutes: int) -> None:
        await self.clock.alarm().sleep_until(
            now + dt.timedelta(minutes=rng.randint(min_minutes, max_minutes))
        )

    async def _train(self, rng: random.Random, user_id: int, day: dt.date, now: dt.datetime) -> None:
        reliable = self.reliability(user_id, day)
        if rng.random() > reliable:
            self.counts["training sessions ignored"] += 1
            return
        # Most log in the evening after training; a few only after the deadline (too late).
        await self._later(rng, now, 60, 16 * 60)
        async with self.pool.acquire() as conn:
            session = await training_repo.get_session(conn, user_id, day)
            profile = await clients_repo.get(conn, user_id)
        if session is None or profile is None:
            return
        strength = self._strength.setdefault(user_id, self._rng("strength", user_id).uniform(40, 120))
        for index, exercise in enumerate(session.exercises):
            if rng.random() > reliable + 0.05:
                continue  # skipped this exercise: it will be marked missed
            if rng.random() < 0.08:
                await self._log(user_id, day, index, rng.choice(("abc", "-5", "1e400", "")), "5")
            low, _, high = str(exercise["reps"]).partition("-")
            reps = rng.randint(int(low), int(high or low)) + rng.choice((0, 0, 0, 1))
            weight = strength * (1 + 0.01 * session.day_index) * rng.uniform(0.9, 1.05)
            shown = from_kg(weight, profile.unit)
            await self._log(user_id, day, index, f"{round(shown * 2) / 2:g}", str(reps))

    async def _log(self, user_id: int, day: dt.date, index: int, weight: str, reps: str) -> None:
        try:
            logged = await training.log_top_set(
                self.pool,
                self.clock,
                self.settings,
                user_id=user_id,
                day=day,
                index=index,
                weight=weight,
                reps=reps,
            )
        except InputError as exc:
            self.counts["bad inputs refused"] += 1
            if self.verbose:
                self.out(f"    {user_id} typed {weight!r} kg/lb, {reps!r} reps → refused: {exc.problems[0]}")
            return
        self.counts["sets logged"] += 1
        if logged.log.is_pr:
            self.counts["PRs"] += 1

    async def _attempt(self, what: str, action: Callable[[], Awaitable[object]]) -> bool:
        """Run one client action; a refusal (bad input, too late) is counted, not raised."""
        try:
            await action()
        except InputError as exc:
            self.counts[f"{what} refused"] += 1
            if self.verbose:
                self.out(f"    {what} refused: {exc.problems[0]}")
            return False
        return True

    async def _check_in(self, rng: random.Random, user_id: int, day: dt.date, now: dt.datetime) -> None:
        if rng.random() > self.reliability(user_id, day):
            return
        await self._later(rng, now, 5, 7 * 60)  # some answer after the noon deadline: refused
        feel = {k: str(rng.randint(1, 5)) for k in checkin.RATINGS}
        if rng.random() < 0.05:
            feel["energy"] = "7"  # a typo the form would never send, but a crafted one might
        body = {
            "bodyweight": f"{rng.uniform(60, 95):.1f}",
            "sleep": rng.choice(("7.5", "6", "8", "30")),
        }
        for part, values in (("feel", feel), ("body", body)):
            await self._attempt(
                "check-in",
                lambda part=part, values=values: checkin.record(  # type: ignore[misc]
                    self.pool, self.clock, user_id=user_id, day=day, part=part, values=values
                ),
            )

    async def _meals(self, rng: random.Random, user_id: int, day: dt.date, now: dt.datetime) -> None:
        async with self.pool.acquire() as conn:
            drop = await meals.LOGBOOK.store.get(conn, user_id, day)
        if drop is None:
            return
        for index, _ in enumerate(drop.content["meals"]):
            if rng.random() > self.reliability(user_id, day):
                continue
            await self._later(rng, now, 20, 4 * 60)  # meals come through the day; a few answers land late
            now = self.clock.now()
            followed = rng.random() < 0.85
            if await self._attempt(
                "meal answer",
                lambda index=index, followed=followed: meals.answer(  # type: ignore[misc]
                    self.pool, self.clock, user_id=user_id, day=day, index=index, followed=followed,
                    note="" if followed else "ate out",
                ),
            ):  # fmt: skip
                self.counts["meals answered"] += 1

    async def _cardio(self, rng: random.Random, user_id: int, day: dt.date, now: dt.datetime) -> None:
        if rng.random() > self.reliability(user_id, day):
            return
        await self._later(rng, now, 60, 15 * 60)
        values = {"amount": rng.choice(("35", "40", "9000", "12000", "-1")), "avg_hr": ""}
        if await self._attempt(
            "cardio log",
            lambda: cardio.log_cardio(self.pool, self.clock, user_id=user_id, day=day, values=values),
        ):
            self.counts["cardio logged"] += 1

    async def _weekly(self, rng: random.Random, user_id: int, day: dt.date, now: dt.datetime) -> None:
        """The weekly check-in: most answer within the day, some the next evening, some too
        late; a few type a waist the form refuses first."""
        if rng.random() > self.reliability(user_id, day):
            return
        await self._later(rng, now, 30, 40 * 60)
        story = rng.choice(("Hit every session", "Tough week at work", "Slept badly, ate well", ""))
        if rng.random() < 0.15:
            bad = {"waist": rng.choice(("abc", "300", "-80")), "rating": "3", "story": story}
            await self._attempt(
                "weekly check-in",
                lambda: weekly.submit(self.pool, self.clock, user_id=user_id, day=day, values=bad),
            )
        async with self.pool.acquire() as conn:
            profile = await clients_repo.get(conn, user_id)
        if profile is None:
            return
        first, later = weekly.asked_in_forms(profile.review_measurements)

        def typed(name: str) -> str:  # a length in the client's unit, near a typical adult's
            return f"{lengths.from_cm(TYPICAL_CM[name] * rng.uniform(0.9, 1.1), profile.unit):.1f}"

        values = {"waist": typed("waist"), "rating": str(rng.randint(1, 5)), "story": story}
        values |= {weekly.measurement_field(name): typed(name) for name in first}
        if not await self._attempt(
            "weekly check-in",
            lambda: weekly.submit(
                self.pool, self.clock, user_id=user_id, day=day, values=values, wake=self.wake
            ),
        ):
            return
        self.counts["weekly check-ins sent"] += 1
        if rng.random() < 0.6:
            more = {weekly.measurement_field(name): typed(name) for name in later}
            await self._weekly_photos(rng, user_id, day, more)
        if rng.random() < 0.6:
            await self._coach_answers(rng, user_id, day)

    async def _weekly_photos(
        self, rng: random.Random, user_id: int, day: dt.date, measured: dict[str, str]
    ) -> None:
        """Progress photos, generated: one to three poses (with the coach's third and fourth
        measurements); now and then a PDF sent first."""
        if rng.random() < 0.15:
            pdf = [_upload("front", b"%PDF-1.7 a scanned form", "application/pdf")]
            await self._attempt(
                "weekly photos",
                lambda: weekly.submit_photos(
                    self.pool, self.clock, user_id=user_id, day=day, values=measured, uploads=pdf
                ),
            )
        poses = photos.POSES[: rng.randint(1, len(photos.POSES))]
        shade = tuple(rng.randint(60, 200) for _ in range(3))
        uploads = [_upload(pose, _generated_photo(shade), "image/jpeg") for pose in poses]
        if await self._attempt(
            "weekly photos",
            lambda: weekly.submit_photos(
                self.pool, self.clock, user_id=user_id, day=day, values=measured, uploads=uploads
            ),
        ):
            self.counts["weekly photos sent"] += len(uploads)

    async def _coach_answers(self, rng: random.Random, user_id: int, day: dt.date) -> None:
        """The client's coach answers the check-in from its card, a few hours later."""
        await self._later(rng, self.clock.now(), 60, 8 * 60)
        async with self.pool.acquire() as conn:
            coach = await coaches_repo.responsible(conn, user_id, day)
        if coach is None:
            return
        if await self._attempt(
            "weekly answer",
            lambda: weekly.answer(
                self.pool,
                self.clock,
                user_id=user_id,
                day=day,
                coach_id=coach.user_id,
                coach_name=coach.display_name,
                text_=rng.choice(ANSWERS),
                wake=self.wake,
            ),
        ):
            self.counts["weekly check-ins answered"] += 1

    async def settle(self) -> None:
        """Wait for simulated clients still acting (at the end of the run)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


TYPICAL_CM = {"waist": 85.0, "hips": 100.0, "chest": 100.0, "arm": 35.0, "thigh": 58.0}
ANSWERS = ("Good week. Keep the steps up.", "Waist is moving: stay with it.", "Rough week; we go again.")


def _generated_photo(shade: tuple[int, ...]) -> bytes:
    """A small JPEG standing in for a progress photo."""
    out = io.BytesIO()
    Image.new("RGB", (240, 320), shade).save(out, "JPEG")  # type: ignore[arg-type]
    return out.getvalue()


def _upload(pose: str, data: bytes, content_type: str) -> weekly.Upload:
    async def read() -> bytes:
        return data

    return weekly.Upload(pose, f"{pose}.jpg", content_type, len(data), read)
