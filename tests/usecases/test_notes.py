"""The private line (bot.engines.notes) on the real dispatcher and a recording transport: a note
and its reply each delivered once, per the coach's `/coach notify`; long notes in legible parts;
closed DMs told to the coach once (by /note waiting, or by the notice a minute later); refusals
that write nothing; and a notes job is never planned."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, profile, runtime, utc
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from bot.core.clock import VirtualClock
from bot.core.delivery import RecipientUnreachable, TransientDeliveryError
from bot.domain.errors import InputError
from bot.domain.team import Coach, CoachKind, Notify
from bot.engines import checkin, notes
from bot.repo import cards, clients, coaches, erasure
from bot.views import markers
from bot.views import notes as views
from bot.views.messages import OutgoingMessage, SeenMessage, SentMessage

MONDAY = dt.date(2026, 5, 4)
EVE, SAM = 7001, 9001
COACHES = 11


@pytest.fixture
def coach_settings(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"coach_channel_id": COACHES})


async def set_up(pool, clock, notify: Notify = Notify.dm, **client: object) -> None:  # type: ignore[no-untyped-def]
    client.setdefault("display_name", "Eve")
    await add_clients(pool, [profile(EVE, "Europe/Berlin", MONDAY, schedule_days=[], **client)], clock.now())
    async with pool.acquire() as conn:
        await coaches.add(
            conn, user_id=SAM, display_name="Sam", kind=CoachKind.coach, by=None, now=clock.now()
        )
        await coaches.set_notify(conn, SAM, notify)
        await coaches.assign(
            conn, user_id=EVE, coach_id=SAM, from_date=MONDAY, note=None, by=None, now=clock.now()
        )


def reply_button(message: OutgoingMessage) -> str:
    [button] = message.buttons()
    return button.custom_id


async def note(pool, clock, rt, text: str = "Great week. Keep the protein up.") -> notes.Queued:  # type: ignore[no-untyped-def]
    return await notes.send_note(
        pool, clock, user_id=EVE, author_id=SAM, author_name="Sam (Discord)", text=text,
        wake=rt.dispatcher.notify,
    )  # fmt: skip


async def test_a_note_and_its_reply_each_reach_the_other_side_once(pool, coach_settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, Notify.dm)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        queued = await note(pool, clock, rt)
        outcome = await notes.await_outcome(pool, coach_settings, queued)
        assert outcome.state == "delivered"
        assert outcome.text == "Note delivered to Eve. Their reply will reach you here."
        [dm] = transport.to_user(EVE)
        assert dm.message.content.startswith("**Coach Sam:** Great week. Keep the protein up.")
        custom_id = reply_button(dm.message)
        match = notes.REPLY_ID.match(custom_id)
        assert match is not None and int(match["user"]) == EVE and match["day"] == "20260504"

        replied = await notes.reply_to_note(
            pool, clock, user_id=EVE, day=MONDAY, index=int(match["index"]),
            text="Thanks! Knee is better. @everyone", wake=rt.dispatcher.notify,
        )  # fmt: skip
        assert replied.text == "Sent to Coach Sam."
        await clock.run_until(clock.now() + dt.timedelta(seconds=1))
        [to_coach] = transport.to_user(SAM)
        text = to_coach.message.content
        assert text.startswith("**Eve:** Thanks! Knee is better.")
        assert "In reply to the note of Monday 04 May: “Great week. Keep the protein up.”" in text
        assert transport.messages_to_channel(COACHES) == []  # Sam hears by DM only

        thread = await notes.recent_thread(pool, EVE)
        assert [(line.to_client, line.state) for line in thread] == [
            (True, "delivered"),
            (False, "delivered"),
        ]
        assert [line.coach_name for line in thread] == ["Sam", "Sam"]
    finally:
        await rt.stop()
    jobs = {(j.action, str(j.status)) for j in await all_jobs(pool)}
    assert jobs == {("to_client", "sent"), ("to_coach", "sent")}


@pytest.mark.parametrize("notify", [Notify.channel, Notify.both])
async def test_a_reply_reaches_the_coaches_channel_with_a_mention_that_pings_no_one_else(
    pool, coach_settings, notify
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, notify)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt))
        index = int(notes.REPLY_ID.match(reply_button(transport.to_user(EVE)[0].message))["index"])  # type: ignore[index]
        await notes.reply_to_note(
            pool, clock, user_id=EVE, day=MONDAY, index=index, text="@everyone look <@&5>",
            wake=rt.dispatcher.notify,
        )  # fmt: skip
        await clock.run_until(clock.now() + dt.timedelta(seconds=1))
    finally:
        await rt.stop()
    [post] = transport.messages_to_channel(COACHES)
    text = post.message.content
    assert text.startswith(f"**Reply from Eve** (<@{EVE}>): @\u200beveryone look <@\u200b&5>")
    assert f"For Sam (<@{SAM}>)." in text
    assert len(transport.to_user(SAM)) == (1 if notify == Notify.both else 0)


async def test_a_coach_whose_dms_are_closed_gets_the_reply_in_the_channel(pool, coach_settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, Notify.dm)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt))
        index = int(notes.REPLY_ID.match(reply_button(transport.to_user(EVE)[0].message))["index"])  # type: ignore[index]
        transport.fail_next(SAM, RecipientUnreachable("50007 Cannot send messages to this user"))
        await notes.reply_to_note(
            pool, clock, user_id=EVE, day=MONDAY, index=index, text="Got it", wake=rt.dispatcher.notify
        )
        await clock.run_until(clock.now() + dt.timedelta(seconds=1))
    finally:
        await rt.stop()
    [post] = transport.messages_to_channel(COACHES)
    assert f"For Sam (<@{SAM}>): Discord refused to DM them." in post.message.content
    async with pool.acquire() as conn:
        eve = await clients.get(conn, EVE)
    assert eve is not None and eve.reachable  # the coach's closed DMs say nothing about the client


async def test_a_long_note_goes_in_numbered_parts_cut_between_sentences_each_once(
    pool, coach_settings
) -> None:
    """4,000 characters: three parts, each within Discord's 2,000 with its reference, cut after a
    sentence; a part that failed is retried and the parts already sent are not sent again."""
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock)
    sentence = "Keep the bar path straight and brace before every rep. "
    body = (sentence * 80)[:3990].rstrip() + " End."
    assert len(body) <= 4000

    class FailsOnce(RecordingTransport):
        failed = False

        async def send_dm(
            self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
        ) -> SentMessage:
            if "(2/3)" in message.content and not self.failed:
                self.failed = True
                raise TransientDeliveryError("503 Service Unavailable")
            return await super().send_dm(user_id, channel_id, message, nonce=nonce)

    transport = FailsOnce(clock)
    rt, _ = runtime(pool, clock, [notes.build(coach_settings)], coach_settings, transport=transport)
    rt.start()
    try:
        queued = await note(pool, clock, rt, body)
        assert queued.parts == 3
        await clock.run_until(clock.now() + dt.timedelta(minutes=6))  # the retry after 5 minutes
    finally:
        await rt.stop()
    parts = [m.message for m in transport.to_user(EVE)]
    assert [p.content.split(":**")[0] for p in parts] == [f"**Coach Sam ({i}/3)" for i in (1, 2, 3)]
    assert all(len(p.content) <= 2000 for p in parts)
    assert [bool(p.buttons()) for p in parts] == [False, False, True]  # Reply under the last part
    texts = [p.content.split(":** ", 1)[1].split("\n-# ref ")[0] for p in parts]
    assert all(t.endswith(".") for t in texts)  # cut between sentences
    assert " ".join(texts) == body
    [job] = await all_jobs(pool)
    assert (str(job.status), job.attempts) == ("sent", 2)
    assert [markers.refs_of(m) for m in map(seen, parts)] == [{job.nonce(i)} for i in range(3)]


def seen(message: OutgoingMessage) -> SeenMessage:
    """A sent part as a retry reads it back from the DM channel."""
    custom_ids = tuple(b.custom_id for b in message.buttons())
    return SeenMessage(0, 0, custom_ids, (message.content,))


async def test_closed_dms_are_told_to_the_coach_by_note_itself_and_only_once(pool, coach_settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, Notify.dm)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    transport.fail_next(EVE, RecipientUnreachable("50007 Cannot send messages to this user"))
    rt.start()
    try:
        outcome = await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt))
        await clock.run_until(clock.now() + dt.timedelta(minutes=5))  # past the notice's minute
    finally:
        await rt.stop()
    assert outcome.state == "not delivered"
    assert outcome.text.startswith("Eve's DMs are closed: the note was not delivered.")
    assert transport.to_user(EVE) == []
    assert transport.to_user(SAM) == []  # told once, by /note: the notice stayed silent
    jobs = {j.action: j for j in await all_jobs(pool)}
    assert str(jobs["to_client"].status) == "failed" and jobs["to_client"].attempts == 1
    assert jobs["notice"].result == {"reason": "/note told its author"}
    async with pool.acquire() as conn:
        eve = await clients.get(conn, EVE)
        [card] = await cards.list_cards(conn, today=MONDAY, user_id=EVE)
    assert eve is not None and not eve.reachable
    assert card.kind == "unreachable"  # one card, raised by the dispatcher
    thread = await notes.recent_thread(pool, EVE)
    assert [(line.state, line.why) for line in thread] == [("not delivered", "dms_closed")]


@pytest.mark.parametrize("notify", [Notify.dm, Notify.channel])
async def test_closed_dms_are_told_to_the_coach_a_minute_later_when_note_stopped_waiting(
    pool, coach_settings, notify
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, notify)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    transport.fail_next(EVE, RecipientUnreachable("50007 Cannot send messages to this user"))
    rt.start()
    try:
        queued = await note(pool, clock, rt)  # /note gave up waiting (a busy dispatcher): no outcome
        await clock.run_until(clock.now() + dt.timedelta(minutes=5))
        late = await notes.await_outcome(pool, coach_settings, queued, within=0)
    finally:
        await rt.stop()
    told = [m.message.content for m in transport.to_user(SAM)] + [
        m.message.content for m in transport.messages_to_channel(COACHES)
    ]
    [text] = told
    assert "Your note to **Eve**" in text and "of Monday 04 May was not delivered" in text
    assert "was not delivered: their DMs are closed to the bot. Ask Eve to allow DMs" in text
    assert "“Great week. Keep the protein up.”" in text
    if notify == Notify.channel:
        assert text.startswith(f"<@{SAM}> Your note to **Eve** (<@{EVE}>)")
    assert late.state == "not delivered"


async def test_a_client_who_opens_their_dms_again_gets_the_next_note(pool, coach_settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, reachable=False)  # closed before: a note still tries (it is a coach's act)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        outcome = await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt))
    finally:
        await rt.stop()
    assert outcome.state == "delivered" and len(transport.to_user(EVE)) == 1


@pytest.mark.parametrize(
    ("text", "client", "said"),
    [
        ("", {}, "note: it is empty, write something to send; nothing was sent."),
        ("x" * 4001, {}, "note: 4000 characters at most (this one has 4001); nothing was sent."),
        ("a\x00b", {}, "note: contains a NUL character; please retype it; nothing was sent."),
        (
            "hi",
            {"paused": True, "paused_until": dt.date(2026, 5, 11)},
            "Eve is paused until Monday 11 May, and paused clients get nothing from the bot; "
            "nothing was sent.",
        ),
        (
            "hi",
            {"start_date": dt.date(2026, 5, 6)},
            "Eve starts on Wednesday 06 May and gets nothing before then",
        ),
    ],
)
async def test_a_note_that_cannot_go_is_refused_and_writes_nothing(
    pool, coach_settings, snapshot, text, client, said
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    start = client.pop("start_date", MONDAY)
    await add_clients(
        pool, [profile(EVE, "UTC", start, display_name="Eve", schedule_days=[], **client)], clock.now()
    )
    before = await snapshot()
    with pytest.raises(InputError) as refused:
        await notes.send_note(pool, clock, user_id=EVE, author_id=SAM, author_name="Sam", text=text)
    assert said in str(refused.value)
    assert await snapshot() == before


async def test_a_reply_to_a_note_that_is_not_there_is_refused(pool, coach_settings, snapshot) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock)
    before = await snapshot()
    with pytest.raises(InputError, match="no longer here"):
        await notes.reply_to_note(pool, clock, user_id=EVE, day=MONDAY, index=0, text="hello?")
    with pytest.raises(InputError, match="no longer here"):
        await notes.reply_form(pool, user_id=EVE, day=MONDAY, index=0)
    assert await snapshot() == before


async def test_a_coach_not_on_the_team_is_named_by_their_discord_name_and_hears_in_the_channel(
    pool, coach_settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await add_clients(pool, [profile(EVE, "UTC", MONDAY, display_name="Eve", schedule_days=[])], clock.now())
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        await notes.await_outcome(
            pool, coach_settings,
            await notes.send_note(
                pool, clock, user_id=EVE, author_id=4242, author_name="Kai", text="Hi Eve",
                wake=rt.dispatcher.notify,
            ),
        )  # fmt: skip
        [dm] = transport.to_user(EVE)
        assert dm.message.content.startswith("**Coach Kai:** Hi Eve")
        index = int(notes.REPLY_ID.match(reply_button(dm.message))["index"])  # type: ignore[index]
        replied = await notes.reply_to_note(
            pool, clock, user_id=EVE, day=MONDAY, index=index, text="Hi!", wake=rt.dispatcher.notify
        )
        await clock.run_until(clock.now() + dt.timedelta(seconds=1))
    finally:
        await rt.stop()
    assert replied.text == "Sent to Coach Kai."
    [post] = transport.messages_to_channel(COACHES)
    assert "For Kai (<@4242>)." in post.message.content


async def test_notes_are_never_planned(pool, coach_settings) -> None:
    """The engine's actions are inserted on demand only: a day of planning plans none of them."""
    clock = VirtualClock(utc(2026, 5, 4, 0))
    await set_up(pool, clock)
    rt, _ = runtime(pool, clock, [checkin.build(coach_settings), notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        await clock.run_until(utc(2026, 5, 5, 0))
    finally:
        await rt.stop()
    engines = {j.engine for j in await all_jobs(pool)}
    assert engines == {"checkin"}


async def test_notes_and_replies_sent_at_once_are_numbered_apart(pool, coach_settings) -> None:
    """Notes to one client queue behind the client's row; replies share one job key per day and
    take the next number when two collide: none is lost, however many come at once."""
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock)
    queued = await asyncio.gather(
        *(
            notes.send_note(pool, clock, user_id=EVE, author_id=SAM, author_name="Sam", text=f"note {i}")
            for i in range(4)
        )
    )
    assert len({q.job_id for q in queued}) == 4
    replies = await asyncio.gather(
        *(
            notes.reply_to_note(pool, clock, user_id=EVE, day=MONDAY, index=i % 4, text=f"reply {i}")
            for i in range(32)
        )
    )
    assert len({r.note_id for r in replies}) == 32
    jobs = await all_jobs(pool)
    assert sorted(j.seq for j in jobs if j.action == "to_client") == [0, 1, 2, 3]
    assert sorted(j.seq for j in jobs if j.action == "to_coach") == list(range(32))
    assert {j.user_id for j in jobs if j.action == "to_coach"} == {None}  # a reply is for a coach
    thread = await notes.recent_thread(pool, EVE, limit=40)
    assert len(thread) == 36 and {line.state for line in thread} == {"queued"}


async def test_a_note_not_yet_out_is_reported_queued_with_where_the_coach_will_hear(
    pool, coach_settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, Notify.dm)
    queued = await notes.send_note(pool, clock, user_id=EVE, author_id=SAM, author_name="Sam", text="Hi")
    outcome = await notes.await_outcome(pool, coach_settings, queued, within=0)
    assert outcome.state == "queued"
    assert outcome.text == (
        f"Note to Eve queued (job #{queued.job_id}); it goes out in a moment. If it cannot be "
        "delivered you will be told by DM."
    )


async def test_the_thread_outlives_its_jobs_and_goes_with_the_client(pool, coach_settings) -> None:
    """Retention deletes the jobs after JOB_RETENTION_DAYS: the thread keeps what became of each
    note. /client delete erases the thread with the client."""
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    transport.fail_next(EVE, RecipientUnreachable("50007 Cannot send messages to this user"))
    rt.start()
    try:
        await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt, "first"))
        await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt, "second"))
        await clock.run_until(clock.now() + dt.timedelta(minutes=5))
        async with pool.acquire() as conn:
            await conn.execute("UPDATE jobs SET finished_at = finished_at - interval '400 days'")
        await rt.retention_pass()
    finally:
        await rt.stop()
    assert await all_jobs(pool) == []
    thread = await notes.recent_thread(pool, EVE)
    assert [(line.body, line.state) for line in thread] == [
        ("first", "not delivered"),
        ("second", "delivered"),
    ]
    async with pool.acquire() as conn, conn.transaction():
        await erasure.erase_client(conn, EVE)  # the client's row goes, and the thread with it
    assert await notes.recent_thread(pool, EVE) == []


async def test_a_reply_to_a_coach_who_left_goes_to_the_clients_coach_now(pool, coach_settings) -> None:
    jo = 9002
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, clock, Notify.dm)
    rt, transport = runtime(pool, clock, [notes.build(coach_settings)], coach_settings)
    rt.start()
    try:
        await notes.await_outcome(pool, coach_settings, await note(pool, clock, rt))
        index = int(notes.REPLY_ID.match(reply_button(transport.to_user(EVE)[0].message))["index"])  # type: ignore[index]
        async with pool.acquire() as conn:
            await coaches.add(
                conn, user_id=jo, display_name="Jo", kind=CoachKind.coach, by=None, now=clock.now()
            )
            await coaches.set_notify(conn, jo, Notify.dm)
            await coaches.assign(
                conn, user_id=EVE, coach_id=jo, from_date=MONDAY, note=None, by=None, now=clock.now()
            )
            await coaches.remove(conn, SAM, clock.now())
        replied = await notes.reply_to_note(
            pool, clock, user_id=EVE, day=MONDAY, index=index, text="Who is this?", wake=rt.dispatcher.notify
        )
        await clock.run_until(clock.now() + dt.timedelta(seconds=1))
    finally:
        await rt.stop()
    assert replied.text == "Sent to Coach Jo."
    assert transport.to_user(SAM) == []
    [to_jo] = transport.to_user(jo)
    assert to_jo.message.content.startswith("**Eve:** Who is this?")


# --- Discord's limits, on the renderers themselves ---------------------------------------------------


@examples(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("ab .!?\n@*"), min_size=1, max_size=4000).filter(str.strip))
def test_split_keeps_every_word_in_parts_within_the_limit(text: str) -> None:
    parts = views.split(text)
    assert all(0 < len(p) <= views.PART_LIMIT for p in parts)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())  # nothing lost


def test_the_worst_case_note_and_reply_fit_discord_with_their_reference() -> None:
    """An 80-character name of markdown, 4,000 characters of @s (each gains a zero-width space in
    the channel), the longest reference: every part within 2,000 characters."""
    name = "*_`|~" * 16
    body = "@" * views.NOTE_LIMIT
    coach = Coach(user_id=2**63, display_name=name, notify=Notify.both, added_at=utc(2026, 5, 4))
    reply = views.Reply(name, 2**63, body, MONDAY, body)
    for messages in (
        views.coach_note(name, body, notes.REPLY_ID.format(user_id=2**63, day=MONDAY, index=499)),
        views.reply_dm(reply),
        views.reply_post(reply, coach, dms_closed=True),
        [views.not_delivered(name, body, MONDAY, client_id=2**63, coach=coach)],
    ):
        for part, message in enumerate(messages):
            marked = markers.mark(message, f"rg{2**63 - 1}.{part + 10}")
            assert len(marked.content) <= 2000, (len(marked.content), marked.content[:80])
            assert all(len(b.custom_id) <= 100 for b in marked.buttons())
