"""A loopback double of Discord's REST API and gateway, for driving the real discord.py client.

Why this exists: discord.py is the part of the bot we cannot unit-test by mocking our own code —
retries, rate limits, interaction acknowledgement, modal layouts and payload limits are all decided
by the library and by Discord. This package runs a small aiohttp server on 127.0.0.1 that speaks
enough of Discord's v10 REST API and gateway (HELLO/IDENTIFY/READY/RESUME, zlib-stream or
zstd-stream compression) for the *unpatched* client to log in, sync commands, send and edit
messages, and answer interactions that the test injects as a user would.

The only seams on the client side are two class attributes, set by :meth:`DiscordDouble.patch_discord`
(and by the :func:`discord_double` fixture; the bot's own ``build_bot`` sets the same two from the
``discord_api_base`` and ``discord_gateway_url`` settings, which ``bot_harness`` fills in):

* ``discord.http.Route.BASE`` -> ``double.api_base`` (every REST call, webhooks and interaction
  callbacks included, is built from it);
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` -> ``double.ws_url``. A non-sharded
  ``discord.Client`` never calls ``GET /gateway`` in discord.py 2.7: it connects straight to this
  hard-coded URL, so the REST seam alone is not enough. (``AutoShardedClient`` does call
  ``GET /gateway/bot``, which the double answers with its own URL.)

Everything the bot sends is checked against Discord's documented limits (see
shared/PLATFORM_FACTS.md §2-§4); a breach is answered like Discord answers it (400, code 50035) *and*
recorded in :attr:`DiscordDouble.violations`, which the fixture turns into a test failure.
Components v2 (the IS_COMPONENTS_V2 flag, 1 << 15) are checked as Discord documents them: no
content, embeds, stickers or poll with the flag; which component may stand where (top level, in a
row, a container or a section, as a section's accessory); 1-3 text displays and an accessory per
section; 40 components in all, nested ones counted; 4,000 characters across the text displays;
custom_ids and ids unique in the message; v2 components refused without the flag; and on an edit,
the flag set only with content and embeds reset, never taken off (see :mod:`.limits`). A test reads
a layout with :meth:`MessageRecord.texts`, :meth:`~MessageRecord.sections`,
:meth:`~MessageRecord.section` and :meth:`~MessageRecord.heading`; ``click`` finds a button anywhere
in it (a section's accessory, a row inside a container).

Typical use: tests/conftest.py provides the ``discord_double`` fixture (the default coaching server:
guild 1000, coach 3000, client 3001, admin 3002); ``bot_harness.running_bot`` runs the real bot
against it, and the test acts as Discord users and looks at what the bot sent::

    import datetime as dt

    from bot_harness import CLIENT, add_client, running_bot
    from helpers import utc

    from bot.core.clock import VirtualClock
    from bot.engines import checkin

    MONDAY = dt.date(2026, 5, 4)

    async def test_a_client_answers_the_check_in(discord_double, pool, settings) -> None:
        clock = VirtualClock(utc(2026, 5, 4, 4))
        await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
        async with running_bot(discord_double, pool, clock, settings) as bot:
            await bot.sync_commands()
            await clock.run_until(utc(2026, 5, 4, 6))  # the check-in drops by DM
            [prompt] = discord_double.dms_to(CLIENT)
            feel_id = checkin.FEEL_ID.format(user_id=CLIENT, day=MONDAY)
            opened = await discord_double.click(CLIENT, prompt, feel_id)
            assert opened.response_type == 9 and opened.modal is not None  # the bot showed a modal
            feel = {"energy": ["4"], "mood": ["3"], "stress": ["2"], "soreness": ["5"]}
            done = await discord_double.submit_modal(CLIENT, opened.modal.custom_id, feel)
            assert done.ephemeral
            today = await discord_double.slash(CLIENT, "today")  # a slash command in the bot's DM
            assert today.responded

Two clocks, because Discord has two kinds of time: ``time_fn`` (default ``time.monotonic``) measures
real time passing in the bot process — interaction deadlines, token lifetime, the global rate-limit
window, record times — and ``now_fn`` (default ``time.time``, UNIX seconds) is the calendar: it stamps
snowflake ids and message timestamps and runs the ``enforce_nonce`` window. ``running_bot`` installs
the test's ``VirtualClock`` as ``now_fn``, so a retry five virtual minutes later is outside the
window, and ``channel.history(after=<a virtual time>)`` pages by ids made on that clock.
``nonce_dedupe=False`` turns the window off (every send creates a message); with it on,
``suppressed_sends`` lists the sends it answered with the earlier message (``suppressed_count``).
``GET /channels/{id}/messages`` pages like Discord (``limit`` 1-100, one of around/before/after,
newest first), so ``channel.history(after=..., limit=None, oldest_first=True)`` works across pages.

Any other ``discord.Client`` runs against the fixture with ``async with discord_double.running(client)``
(tests/doubles/test_discord_double.py); outside pytest, ``DiscordDouble.with_defaults()`` with
``async with double:`` and ``with double.patch_discord():`` (bench/).

Not modelled: MESSAGE_CREATE/UPDATE events for the bot's own messages, per-route rate-limit
buckets (only the global limit and injected 429s), voice, threads, reactions, role/channel edits,
per-guild command permission overrides, user installs. Unknown routes are answered 404 *and*
recorded as a violation, so a test notices when the bot needs something the double lacks.

Modules, one job each: :mod:`.constants` (Discord's flags and permission bits), :mod:`.specs`
(configuration and the default server), :mod:`.records` (what tests inspect), :mod:`.errors`,
:mod:`.limits` (Discord's limits and their checks), :mod:`.state` (shared state, queries, JSON
shapes), :mod:`.messages` (the message store), :mod:`.faults` (fault injection), :mod:`.rest` (the
REST API), :mod:`.gateway` (the websocket), :mod:`.user_actions` (acting as users), :mod:`.double`
(the assembled class and its lifecycle), :mod:`.fixture` (the pytest fixture).
"""

from __future__ import annotations

from .double import DiscordDouble
from .errors import DoubleUsageError
from .faults import Fault
from .fixture import discord_double, discord_double_fixture
from .records import (
    AttachmentRecord,
    CommandSync,
    EditRecord,
    InteractionResult,
    MessageRecord,
    ModalRecord,
    RateLimitHit,
    RequestRecord,
    SuppressedSend,
)
from .specs import (
    ADMIN_ROLE_ID,
    ADMIN_USER_ID,
    ALERTS_CHANNEL_ID,
    BOT_USER_ID,
    CLIENT_USER_ID,
    COACH_ROLE_ID,
    COACH_USER_ID,
    COACHES_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    HONORS_CHANNEL_ID,
    ChannelSpec,
    GuildSpec,
    MemberSpec,
    RoleSpec,
    UserSpec,
    default_guild_spec,
    default_users,
)

__all__ = [
    "ADMIN_ROLE_ID",
    "ADMIN_USER_ID",
    "ALERTS_CHANNEL_ID",
    "BOT_USER_ID",
    "CLIENT_USER_ID",
    "COACHES_CHANNEL_ID",
    "COACH_ROLE_ID",
    "COACH_USER_ID",
    "DEFAULT_GUILD_ID",
    "HONORS_CHANNEL_ID",
    "AttachmentRecord",
    "ChannelSpec",
    "CommandSync",
    "DiscordDouble",
    "DoubleUsageError",
    "EditRecord",
    "Fault",
    "GuildSpec",
    "InteractionResult",
    "MemberSpec",
    "MessageRecord",
    "ModalRecord",
    "RateLimitHit",
    "RequestRecord",
    "RoleSpec",
    "SuppressedSend",
    "UserSpec",
    "default_guild_spec",
    "default_users",
    "discord_double",
    "discord_double_fixture",
]
