"""The REST API: an aiohttp handler for ``/api/v10/...`` and the routes discord.py calls.

Every request is recorded, authorised, counted against the global rate limit, checked for upload
size and for an injected fault, then routed: users and the gateway URL, application commands,
channels and messages, guilds, interaction callbacks and interaction webhooks (follow-ups and
``@original``). Also the CDN for attachments. A route the double does not know is answered 404
*and* recorded as a violation.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from .constants import _INTERACTION_NAMES, EPHEMERAL, LOADING
from .errors import _HTTPError
from .faults import Fault, FaultInjection
from .limits import (
    _ALLOWED_CALLBACKS,
    HISTORY_ANCHORS,
    HISTORY_DEFAULT_LIMIT,
    INTERACTION_DEADLINE,
    MAX_FILE_SIZE,
    MAX_REQUEST_SIZE,
    NONCE_WINDOW,
    TOKEN_LIFETIME,
    Problems,
    _check_commands,
    _check_history_query,
    _check_len,
    _check_modal,
    _nest_problems,
)
from .messages import MessageStore, _history_page
from .records import (
    CommandSync,
    InteractionResult,
    MessageRecord,
    ModalRecord,
    RateLimitHit,
    RequestRecord,
    SuppressedSend,
)
from .specs import GuildSpec


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Callable[..., Any]


@dataclass
class _Ctx:
    """What a REST handler gets."""

    method: str
    path: str
    groups: tuple[str, ...]
    query: Mapping[str, str]
    payload: Any
    files: list[tuple[int, str, bytes, str | None]]
    arrived: float


class RestServer(MessageStore, FaultInjection):
    """The REST half of the double: request handling and every route it emulates."""

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/users/(\d+)", self._get_user),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/applications/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_commands),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/typing", self._typing),
            ("GET", r"/channels/(\d+)/messages", self._list_messages),
            ("POST", r"/channels/(\d+)/messages", self._post_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._patch_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._delete_message),
            ("GET", r"/guilds/(\d+)", self._get_guild),
            ("GET", r"/guilds/(\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(\d+)/roles", self._get_guild_roles),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_member),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._execute_webhook),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._get_webhook_message),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._patch_webhook_message),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._delete_webhook_message),
        ]
        return [_Route(m, re.compile(f"^{p}$"), f"{m} {p}", h) for m, p, h in table]

    @staticmethod
    def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
        # Exactly "application/json" (no charset): discord.py's json_or_text compares the header verbatim.
        resp = web.Response(
            body=json.dumps(body).encode(), status=status, content_type="application/json", headers=headers
        )
        return resp

    @staticmethod
    def _error_response(err: _HTTPError) -> web.Response:
        body: dict[str, Any] = {"message": err.message, "code": err.code}
        if err.errors:
            body["errors"] = err.errors
        return RestServer._json(err.status, body)

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            retry_after = fault.retry_after if fault.retry_after is not None else 0.05
            headers = {
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Scope": "global" if fault.global_ else "user",
                "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
            }
            if fault.global_:
                headers["X-RateLimit-Global"] = "true"
            else:
                # X-RateLimit-Reset is an epoch time, yet on the wall clock, not now_fn: rate limits are
                # real elapsed time for the bot process, which reads it against its own clock.
                headers.update(
                    {
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                        "X-RateLimit-Bucket": "fault",
                    }
                )
            body = {
                "message": fault.message,
                "retry_after": retry_after,
                "global": fault.global_,
                "code": fault.code,
            }
            return self._json(429, body, headers)
        if fault.status >= 500 and not fault.code:
            return web.Response(status=fault.status, text=fault.message)
        return self._error_response(_HTTPError(fault.status, fault.code, fault.message))

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[int, str, bytes, str | None]]]:
        files: list[tuple[int, str, bytes, str | None]] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                data = bytes(await part.read(decode=False))
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(data)
                elif m := re.fullmatch(r"files\[(\d+)\]", name):
                    files.append(
                        (
                            int(m.group(1)),
                            part.filename or f"file{m.group(1)}",
                            data,
                            part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        return json.loads(raw), files

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        arrived = self.time_fn()
        if self.latency:
            await asyncio.sleep(self.latency)
        record = RequestRecord(method, path, 0, arrived, dict(request.query), None, [])
        self.requests.append(record)
        try:
            payload, files = await self._read_body(request)
            record.payload, record.files = payload, [f[1] for f in files]
            resp = await self._dispatch_rest(request, method, path, payload, files, arrived)
        except _HTTPError as err:
            resp = self._error_response(err)
        except Exception as exc:
            # A bug in the double: fail fast with a 400 (a 5xx would make discord.py retry for 25 s).
            self._violate(f"internal error in the Discord double handling {method} {path}: {exc!r}")
            resp = self._error_response(_HTTPError(400, 0, f"discord double internal error: {exc!r}"))
        record.status = resp.status
        await self._notify()
        return resp

    async def _dispatch_rest(
        self,
        request: web.Request,
        method: str,
        path: str,
        payload: Any,
        files: list[tuple[int, str, bytes, str | None]],
        arrived: float,
    ) -> web.Response:
        exempt = path.startswith(("/interactions/", "/webhooks/"))
        if not exempt:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bot ") or (self.token is not None and auth != f"Bot {self.token}"):
                raise _HTTPError(401, 0, "401: Unauthorized")
            limited = self._check_global_limit(method, path, arrived)
            if limited is not None:
                return limited
        if files:
            sizes = [len(f[2]) for f in files]
            if max(sizes) > MAX_FILE_SIZE or sum(sizes) > MAX_REQUEST_SIZE:
                self._violate(
                    f"{method} {path}: upload too large (files {sizes} bytes; Discord allows "
                    f"{MAX_FILE_SIZE} per file and {MAX_REQUEST_SIZE} per request by default)"
                )
                raise _HTTPError(413, 40005, "Request entity too large")
        fault = self._take_fault(method, path)
        if fault is not None and not fault.commit:
            return self._fault_response(fault)
        for route in self._routes:
            if route.method != method:
                continue
            match = route.pattern.match(path)
            if match is None:
                continue
            ctx = _Ctx(method, path, match.groups(), request.query, payload, files, arrived)
            resp: web.Response = await route.handler(ctx)
            bucket = hashlib.sha1(route.template.encode()).hexdigest()[:16]
            resp.headers.update(
                {
                    "X-RateLimit-Limit": "1000",
                    "X-RateLimit-Remaining": "999",
                    "X-RateLimit-Reset-After": "1.000",
                    "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                    "X-RateLimit-Bucket": bucket,
                }
            )
            if fault is not None:
                return self._fault_response(fault)
            return resp
        self.unsupported.append(f"{method} {path}")
        self._violate(
            f"unsupported route {method} {path}: the double does not emulate it "
            "(extend doubles/discord/rest.py)"
        )
        raise _HTTPError(404, 0, "404: Not Found")

    def _check_global_limit(self, method: str, path: str, now: float) -> web.Response | None:
        if not self.global_rate_limit:
            return None
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= self.global_rate_limit:
            retry_after = max(0.001, 1.0 - (now - self._window[0]))
            self.rate_limited.append(RateLimitHit(method, path, now, retry_after))
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(retry_after, 3),
                "global": True,
                "code": 0,
            }
            headers = {
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
                "Via": "1.1 google",
            }
            return self._json(429, body, headers)
        self._window.append(now)
        return None

    # --- users, gateway, application

    async def _get_me(self, ctx: _Ctx) -> web.Response:
        body = self._user_json(self.bot_user) | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }
        return self._json(200, body)

    async def _get_user(self, ctx: _Ctx) -> web.Response:
        uid = int(ctx.groups[0])
        if uid not in self.users:
            raise _HTTPError(404, 10013, "Unknown User")
        return self._json(200, self._user_json(self.users[uid]))

    async def _create_dm(self, ctx: _Ctx) -> web.Response:
        payload = ctx.payload or {}
        try:
            uid = int(payload["recipient_id"])
        except (KeyError, TypeError, ValueError):
            raise _HTTPError(
                400, 50035, "Invalid Form Body", _nest_problems([("recipient_id", "required")])
            ) from None
        return self._json(200, self._channel_json(self.dm_channel_id(uid)))

    async def _get_gateway(self, ctx: _Ctx) -> web.Response:
        return self._json(200, {"url": self.ws_url.rstrip("/")})

    async def _get_gateway_bot(self, ctx: _Ctx) -> web.Response:
        return self._json(
            200,
            {
                "url": self.ws_url.rstrip("/"),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.identify_count,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    async def _get_application(self, ctx: _Ctx) -> web.Response:
        owner = next((u for u in self.users.values() if not u.bot), self.bot_user)
        return self._json(
            200,
            {
                "id": str(self.application_id),
                "name": self.bot_user.name,
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self._user_json(owner),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": self._user_json(self.bot_user),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            },
        )

    # --- application commands

    def _command_scope(self, ctx: _Ctx) -> int | None:
        if int(ctx.groups[0]) != self.application_id:
            raise _HTTPError(403, 50001, "Missing Access")
        if len(ctx.groups) > 1:
            gid = int(ctx.groups[1])
            if gid not in self.guilds:
                raise _HTTPError(403, 50001, "Missing Access")
            return gid
        return None

    async def _get_commands(self, ctx: _Ctx) -> web.Response:
        return self._json(200, self.commands(self._command_scope(ctx)))

    async def _put_commands(self, ctx: _Ctx) -> web.Response:
        gid = self._command_scope(ctx)
        problems = _check_commands(ctx.payload)
        if problems:
            self._violate("command sync: " + "; ".join(f"{p}: {m}" for p, m in problems))
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems))
        stored = []
        for cmd in ctx.payload:
            ctype = cmd.get("type", 1)
            key = (gid, cmd["name"], ctype)
            if key not in self._command_ids:
                self._command_ids[key] = self._snowflake()
            full = {
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                "options": [],
                "description": "",
                **cmd,
                "id": str(self._command_ids[key]),
                "application_id": str(self.application_id),
                "version": str(self._snowflake()),
                "type": ctype,
            }
            if gid is not None:
                full["guild_id"] = str(gid)
            stored.append(full)
        if gid is None:
            self._global_commands = stored
        else:
            self._guild_commands[gid] = stored
        self.syncs.append(CommandSync(gid, stored, self.time_fn()))
        return self._json(200, stored)

    # --- channels and messages

    def _channel_or_404(self, channel_id: int) -> dict[str, Any]:
        if channel_id not in self._channels:
            raise _HTTPError(404, 10003, "Unknown Channel")
        return self._channels[channel_id]

    def _message_or_404(self, channel_id: int, message_id: int) -> MessageRecord:
        record = self._messages_by_id.get(message_id)
        if record is None or record.channel_id != channel_id or record.deleted:
            raise _HTTPError(404, 10008, "Unknown Message")
        return record

    async def _get_channel(self, ctx: _Ctx) -> web.Response:
        cid = int(ctx.groups[0])
        self._channel_or_404(cid)
        return self._json(200, self._channel_json(cid))

    async def _typing(self, ctx: _Ctx) -> web.Response:
        self._channel_or_404(int(ctx.groups[0]))
        return web.Response(status=204)

    async def _list_messages(self, ctx: _Ctx) -> web.Response:
        """Get Channel Messages: newest first; ``limit`` 1-100 (default 50); one of around/before/after.

        A channel's history holds what users can see there: deleted and ephemeral messages are not
        in it. Pages are cut by id, the order Discord keeps, not by when the double stored them.
        """
        cid = int(ctx.groups[0])
        self._channel_or_404(cid)
        limit, anchor = self._history_query(ctx)
        visible = sorted(self.channel_messages(cid), key=lambda m: m.message_id)
        page = _history_page(visible, limit, anchor)
        return self._json(200, [self._message_json(m) for m in page])

    def _history_query(self, ctx: _Ctx) -> tuple[int, tuple[str, int] | None]:
        """``limit`` and the anchor (its name and id) of a history request, or Discord's 400."""
        problems = _check_history_query(ctx.query)
        if problems:
            self._violate(
                f"GET /channels/{ctx.groups[0]}/messages: " + "; ".join(f"{p}: {m}" for p, m in problems)
            )
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems))
        limit = int(ctx.query.get("limit", HISTORY_DEFAULT_LIMIT))
        anchor = next(((name, int(ctx.query[name])) for name in HISTORY_ANCHORS if name in ctx.query), None)
        return limit, anchor

    async def _post_message(self, ctx: _Ctx) -> web.Response:
        cid = int(ctx.groups[0])
        channel = self._channel_or_404(cid)
        payload = ctx.payload or {}
        self._validate_message(f"POST /channels/{cid}/messages", payload, len(ctx.files), creating=True)
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.dms_closed:
            raise _HTTPError(403, 50007, "Cannot send messages to this user")
        nonce = payload.get("nonce")
        enforced = nonce is not None and bool(payload.get("enforce_nonce"))
        if enforced:
            earlier = self._earlier_send(cid, str(nonce))
            if earlier is not None:
                return self._json(200, self._message_json(earlier))
        record = self._create_message(cid, payload, ctx.files, via="rest")
        if enforced:
            self._nonces[(self.bot_user.id, str(nonce))] = (self.now_fn(), record.message_id)
        return self._json(200, self._message_json(record))

    def _earlier_send(self, channel_id: int, nonce: str) -> MessageRecord | None:
        """The message an earlier send with this nonce created, if Discord returns it instead of a new one.

        Discord dedupes ``enforce_nonce`` sends by author and nonce "in the past few minutes": a
        calendar window, so on :attr:`now_fn` — a test's virtual clock that moves past it sees a
        second message. The window runs from the send that created the message; every send it
        suppresses is recorded in :attr:`suppressed_sends`.
        """
        if not self.nonce_dedupe:
            return None
        seen = self._nonces.get((self.bot_user.id, nonce))
        if seen is None:
            return None
        first_sent, message_id = seen
        age = self.now_fn() - first_sent
        if age >= NONCE_WINDOW:
            return None
        original = self._messages_by_id[message_id]
        if original.deleted:
            raise _HTTPError(404, 10008, "Unknown Message")
        self.suppressed_sends.append(SuppressedSend(channel_id, nonce, message_id, age, self.time_fn()))
        return original

    async def _get_message(self, ctx: _Ctx) -> web.Response:
        cid, mid = int(ctx.groups[0]), int(ctx.groups[1])
        self._channel_or_404(cid)
        record = self._message_or_404(cid, mid)
        if record.ephemeral:
            raise _HTTPError(404, 10008, "Unknown Message")
        return self._json(200, self._message_json(record))

    async def _patch_message(self, ctx: _Ctx) -> web.Response:
        cid, mid = int(ctx.groups[0]), int(ctx.groups[1])
        self._channel_or_404(cid)
        record = self._message_or_404(cid, mid)
        if record.ephemeral:
            raise _HTTPError(404, 10008, "Unknown Message")
        payload = ctx.payload or {}
        self._validate_message(
            f"PATCH /channels/{cid}/messages/{mid}",
            payload,
            len(ctx.files),
            creating=False,
            existing=record,
        )
        self._apply_edit(record, payload, ctx.files, via="rest")
        return self._json(200, self._message_json(record))

    async def _delete_message(self, ctx: _Ctx) -> web.Response:
        cid, mid = int(ctx.groups[0]), int(ctx.groups[1])
        self._channel_or_404(cid)
        record = self._message_or_404(cid, mid)
        if record.ephemeral:
            raise _HTTPError(404, 10008, "Unknown Message")
        record.deleted = True
        return web.Response(status=204)

    # --- guilds

    def _guild_or_404(self, gid: int) -> GuildSpec:
        if gid not in self.guilds:
            raise _HTTPError(404, 10004, "Unknown Guild")
        return self.guilds[gid]

    async def _get_guild(self, ctx: _Ctx) -> web.Response:
        guild = self._guild_or_404(int(ctx.groups[0]))
        body = self._guild_json(guild)
        for key in (
            "members",
            "channels",
            "threads",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "member_count",
        ):
            body.pop(key, None)
        return self._json(200, body)

    async def _get_guild_channels(self, ctx: _Ctx) -> web.Response:
        gid = int(ctx.groups[0])
        self._guild_or_404(gid)
        return self._json(200, [ch for ch in self._channels.values() if ch.get("guild_id") == str(gid)])

    async def _get_guild_roles(self, ctx: _Ctx) -> web.Response:
        guild = self._guild_or_404(int(ctx.groups[0]))
        return self._json(200, self._guild_json(guild)["roles"])

    async def _get_member(self, ctx: _Ctx) -> web.Response:
        guild = self._guild_or_404(int(ctx.groups[0]))
        member = self._member_spec(guild, int(ctx.groups[1]))
        if member is None:
            raise _HTTPError(404, 10007, "Unknown Member")
        return self._json(200, self._member_json(guild, member))

    # --- interactions: callback

    async def _interaction_callback(self, ctx: _Ctx) -> web.Response:
        iid, token = int(ctx.groups[0]), ctx.groups[1]
        result = self.interactions.get(iid)
        if result is None or result.token != token:
            raise _HTTPError(404, 10062, "Unknown interaction")
        body = ctx.payload or {}
        rtype = body.get("type")
        label = f"interaction {iid} ({_INTERACTION_NAMES.get(result.interaction_type, '?')})"
        if result.response_type is not None:
            text = f"{label}: answered twice (callback type {rtype} after type {result.response_type})"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(400, 40060, "Interaction has already been acknowledged.")
        elapsed = ctx.arrived - result.sent_at
        if elapsed > INTERACTION_DEADLINE:
            text = f"{label}: first response after {elapsed:.2f}s (limit {INTERACTION_DEADLINE:.0f}s)"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(404, 10062, "Unknown interaction")
        allowed = _ALLOWED_CALLBACKS.get(result.interaction_type, set())
        if rtype not in allowed:
            text = f"{label}: callback type {rtype} is not valid (allowed: {sorted(allowed)})"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems([("type", text)]))
        data = body.get("data") or {}
        resource: dict[str, Any] | None = {"type": rtype}
        violations_before = len(self.violations)
        try:
            if rtype == 4:
                self._validate_message(f"{label} response", data, len(ctx.files), creating=True)
                result.message = self._create_message(
                    result.channel_id, data, ctx.files, via="interaction", interaction=result
                )
            elif rtype == 5:
                flags = int(data.get("flags") or 0)
                if flags & ~EPHEMERAL:
                    raise self._reject(
                        result, f"{label}: a deferred response only accepts the EPHEMERAL flag"
                    )
                result.message = self._create_message(
                    result.channel_id,
                    {"flags": flags},
                    [],
                    via="interaction",
                    interaction=result,
                    extra_flags=LOADING,
                )
            elif rtype in (6, 7):
                source = self._messages_by_id.get(result.source_message_id or 0)
                if rtype == 7:
                    if source is None:
                        raise self._reject(result, f"{label}: UPDATE_MESSAGE without a message to update")
                    self._validate_message(
                        f"{label} update", data, len(ctx.files), creating=False, existing=source
                    )
                    self._apply_edit(source, data, ctx.files, via="interaction")
                result.message = source
                if rtype == 6:
                    resource = None
            elif rtype == 8:
                choices = data.get("choices") or []
                problems: Problems = []
                if len(choices) > 25:
                    problems.append(("data.choices", f"Must be 25 or fewer in length (got {len(choices)})."))
                for i, ch in enumerate(choices):
                    _check_len(problems, f"data.choices.{i}.name", ch.get("name"), 100, 1)
                    if isinstance(ch.get("value"), str):
                        _check_len(problems, f"data.choices.{i}.value", ch.get("value"), 100)
                if problems:
                    raise self._reject(
                        result,
                        f"{label} autocomplete: " + "; ".join(f"{p}: {m}" for p, m in problems),
                        problems,
                    )
                result.choices = choices
                resource = None
            elif rtype == 9:
                problems = _check_modal(data)
                if problems:
                    raise self._reject(
                        result, f"{label} modal: " + "; ".join(f"{p}: {m}" for p, m in problems), problems
                    )
                modal = ModalRecord(
                    custom_id=data["custom_id"],
                    title=data["title"],
                    components=json.loads(json.dumps(data["components"])),
                    interaction_id=result.interaction_id,
                    user_id=result.user_id,
                    channel_id=result.channel_id,
                    guild_id=result.guild_id,
                    source_message_id=result.source_message_id,
                    created=self.time_fn(),
                )
                self.modals[modal.custom_id] = modal
                result.modal = modal
                resource = None
        except _HTTPError as err:
            result.errors.extend(
                self.violations[violations_before:] or [f"{err.status} {err.code} {err.message}"]
            )
            raise
        result.response_type = rtype
        result.response_time = ctx.arrived - result.sent_at
        if ctx.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        msg = result.message if rtype in (4, 5, 7) else None
        interaction_info: dict[str, Any] = {"id": str(iid), "type": result.interaction_type}
        if msg is not None:
            interaction_info.update(
                response_message_id=str(msg.message_id),
                response_message_loading=msg.loading,
                response_message_ephemeral=msg.ephemeral,
            )
        out: dict[str, Any] = {"interaction": interaction_info}
        if resource is not None:
            if msg is not None:
                resource["message"] = self._message_json(msg)
            out["resource"] = resource
        return self._json(200, out)

    def _reject(self, result: InteractionResult, text: str, problems: Problems | None = None) -> _HTTPError:
        self._violate(text)
        return _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems or [("", text)]))

    # --- interactions: webhooks (follow-ups, @original)

    def _webhook_interaction(self, ctx: _Ctx, what: str) -> InteractionResult:
        app_id, token = int(ctx.groups[0]), ctx.groups[1]
        result = self._by_token.get(token)
        if app_id != self.application_id or result is None:
            raise _HTTPError(404, 10015, "Unknown Webhook")
        age = ctx.arrived - result.sent_at
        if age > TOKEN_LIFETIME:
            text = (
                f"interaction {result.interaction_id}: {what} {age:.0f}s after the interaction "
                "(tokens are valid 15 min)"
            )
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(401, 50027, "Invalid Webhook Token")
        if result.response_type is None:
            text = f"interaction {result.interaction_id}: {what} before the interaction was acknowledged"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(404, 10015, "Unknown Webhook")
        return result

    def _webhook_target(self, result: InteractionResult, which: str) -> MessageRecord:
        if which == "@original":
            record = result.message
        else:
            record = self._messages_by_id.get(int(which))
            if (
                record is not None
                and record.interaction_id != result.interaction_id
                and record is not result.message
            ):
                record = None
        if record is None or record.deleted:
            raise _HTTPError(404, 10008, "Unknown Message")
        return record

    async def _execute_webhook(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "follow-up")
        payload = ctx.payload or {}
        label = f"interaction {result.interaction_id} follow-up"
        original = result.message
        if result.response_type == 5 and original is not None and original.loading and not original.deleted:
            # Discord: a follow-up sent while the deferred "thinking" message is unresolved resolves it,
            # keeping the ephemerality chosen at defer time.
            self._validate_message(label, payload, len(ctx.files), creating=True)
            self._apply_edit(
                original, {k: v for k, v in payload.items() if k != "flags"}, ctx.files, via="followup"
            )
            result.edits.append(original.edits[-1])
            record = original
        else:
            self._validate_message(label, payload, len(ctx.files), creating=True)
            record = self._create_message(
                result.channel_id, payload, ctx.files, via="followup", interaction=result
            )
        result.followups.append(record)
        if ctx.query.get("wait") in ("1", "true", "True"):
            return self._json(200, self._message_json(record))
        return web.Response(status=204)

    async def _get_webhook_message(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "fetching a response")
        return self._json(200, self._message_json(self._webhook_target(result, ctx.groups[2])))

    async def _patch_webhook_message(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "editing a response")
        record = self._webhook_target(result, ctx.groups[2])
        payload = ctx.payload or {}
        self._validate_message(
            f"interaction {result.interaction_id} edit",
            payload,
            len(ctx.files),
            creating=False,
            existing=record,
        )
        self._apply_edit(record, payload, ctx.files, via="interaction")
        if record is result.message:
            result.edits.append(record.edits[-1])
        return self._json(200, self._message_json(record))

    async def _delete_webhook_message(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "deleting a response")
        record = self._webhook_target(result, ctx.groups[2])
        record.deleted = True
        return web.Response(status=204)

    # --- the CDN

    async def _attachment_handler(self, request: web.Request) -> web.StreamResponse:
        """The CDN: files attached to slash commands and to messages the bot sent."""
        parts = request.match_info["tail"].split("/")
        try:
            attachment_id = int(parts[-2])
        except (IndexError, ValueError):
            return web.Response(status=404)
        if attachment_id in self._uploads:
            return web.Response(body=self._uploads[attachment_id][1])
        for message in self.messages:
            for attachment in message.attachments:
                if attachment.id == attachment_id:
                    return web.Response(body=attachment.data)
        return web.Response(status=404)
