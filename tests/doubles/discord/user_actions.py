"""The simulated Discord users: what a test calls to act as a user of the bot.

:meth:`UserActions.slash`, :meth:`UserActions.autocomplete`, :meth:`UserActions.click` and
:meth:`UserActions.submit_modal` build the interaction a Discord client would send — refusing, with
:class:`DoubleUsageError`, what a real user could not do — dispatch it over the gateway and wait
for the bot's first response. :meth:`UserActions.add_member` and :meth:`UserActions.remove_member`
are users joining and leaving the server while the bot runs.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from .constants import _INTERACTION_NAMES, ALL_PERMISSIONS, DM_APP_PERMISSIONS
from .errors import DoubleUsageError
from .gateway import GatewayServer
from .limits import _SELECT_TYPES
from .records import InteractionResult, MessageRecord, ModalRecord
from .specs import MemberSpec, UserSpec

#: A file a simulated user uploads: (filename, bytes) or (filename, bytes, content_type). Without a
#: content type the double guesses one from the filename's extension, so a PDF named photo.jpg
#: arrives as image/jpeg: a claim the bot must not trust.
Upload = tuple[str, bytes] | tuple[str, bytes, str]


class UserActions(GatewayServer):
    """Users acting on the bot: commands, clicks, modal submissions, joining and leaving."""

    def _upload(self, upload: Upload, resolved: dict[str, dict[str, Any]]) -> str:
        """Put a user's file on the CDN and in ``resolved.attachments``; its id, as Discord sends it."""
        filename, data = upload[0], bytes(upload[1])
        content_type = upload[2] if len(upload) > 2 else mimetypes.guess_type(filename)[0]
        attachment_id = self._snowflake()
        self._uploads[attachment_id] = (filename, data)
        url = f"{self.base_url}/attachments/uploads/{attachment_id}/{filename}"
        resolved.setdefault("attachments", {})[str(attachment_id)] = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type or "application/octet-stream",
        }
        return str(attachment_id)

    def upload_limit_of(self, user_id: int) -> int:
        """The user's upload limit in bytes: Discord's free 10 MiB unless set in upload_limits."""
        return self.upload_limits.get(user_id, 10 * 1024 * 1024)

    async def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        name: str | None = None,
        role_ids: Sequence[int] = (),
        permissions: int | None = None,
    ) -> MemberSpec:
        """Make a user a member of a guild while the bot runs (a client joining the server).

        Until then USER options naming them resolve to a plain user, not a member — as on Discord.
        GUILD_MEMBER_ADD is dispatched when the bot identified with the GUILD_MEMBERS intent.
        """
        guild = self.guilds[guild_id]
        if user_id not in self.users:
            self.users[user_id] = UserSpec(user_id, name or f"user{user_id}")
        spec = MemberSpec(user_id, name, list(role_ids), permissions)
        guild.members = [m for m in guild.members if m.user_id != user_id] + [spec]
        if self._session is not None and self._intents() & (1 << 1):
            await self._dispatch(
                "GUILD_MEMBER_ADD", {"guild_id": str(guild_id), **self._member_json(guild, spec)}
            )
        return spec

    async def remove_member(self, guild_id: int, user_id: int) -> None:
        """Remove a member (left or kicked); GUILD_MEMBER_REMOVE with the GUILD_MEMBERS intent."""
        guild = self.guilds[guild_id]
        guild.members = [m for m in guild.members if m.user_id != user_id]
        if self._session is not None and self._intents() & (1 << 1):
            payload = {"guild_id": str(guild_id), "user": self._user_json(self.user(user_id))}
            await self._dispatch("GUILD_MEMBER_REMOVE", payload)

    # ------------------------------------------------------------------ driving interactions

    def _context_for(
        self, user_id: int, guild_id: int | None, channel_id: int | None
    ) -> tuple[int, dict[str, Any]]:
        """Channel id and the context part of an interaction payload (DM or guild)."""
        user = self.user(user_id)
        if guild_id is None:
            if channel_id is not None and self._channels.get(channel_id, {}).get("guild_id"):
                guild_id = int(self._channels[channel_id]["guild_id"])
        if guild_id is None:
            cid = self.dm_channel_id(user_id)
            if channel_id is not None and channel_id != cid:
                raise DoubleUsageError(f"channel {channel_id} is not the DM channel of user {user_id}")
            channel = self._channel_json(cid)
            return cid, {
                "user": self._user_json(user),
                "channel": channel,
                "channel_id": str(cid),
                "context": 1,
                "authorizing_integration_owners": {"0": "0"},
                "app_permissions": str(DM_APP_PERMISSIONS),
            }
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise DoubleUsageError(f"guild {guild_id} is not configured on the double")
        member = self._member_spec(guild, user_id)
        if member is None:
            raise DoubleUsageError(f"user {user_id} is not a member of guild {guild_id}")
        if channel_id is None:
            channel_id = next(
                int(c["id"]) for c in self._channels.values() if c.get("guild_id") == str(guild_id)
            )
        elif self._channels.get(channel_id, {}).get("guild_id") != str(guild_id):
            raise DoubleUsageError(f"channel {channel_id} is not in guild {guild_id}")
        member_json = self._member_json(guild, member) | {
            "permissions": str(self.member_permissions(guild_id, user_id))
        }
        return channel_id, {
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "member": member_json,
            "channel": self._channel_json(channel_id),
            "channel_id": str(channel_id),
            "context": 0,
            "authorizing_integration_owners": {"0": str(guild_id)},
            "app_permissions": str(self.member_permissions(guild_id, self.bot_user.id)),
        }

    async def _send_interaction(
        self,
        itype: int,
        user_id: int,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        channel_id: int | None,
        message: MessageRecord | None = None,
        locale: str = "en-US",
        timeout: float,  # noqa: ASYNC109 - the wait is part of the simulated user
        expect_response: bool,
    ) -> InteractionResult:
        cid, context = self._context_for(user_id, guild_id, channel_id)
        if self._session is None:
            raise DoubleUsageError("no gateway session: start the bot (and await double.wait_ready()) first")
        try:  # a user acts on a connected bot; right after drop_gateway() this waits for the reconnect
            await self.wait_ready(timeout)
        except TimeoutError:
            raise DoubleUsageError(f"the bot did not (re)connect to the gateway within {timeout}s") from None
        iid = self._snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.upload_limit_of(user_id),
            **context,
        }
        if message is not None:
            payload["message"] = self._message_json(message)
        result = InteractionResult(
            interaction_id=iid,
            token=token,
            interaction_type=itype,
            user_id=user_id,
            channel_id=cid,
            guild_id=int(context["guild_id"]) if "guild_id" in context else None,
            sent_at=self.time_fn(),
            payload=payload,
            source_message_id=message.message_id if message is not None else None,
            _double=self,
        )
        self.interactions[iid] = result
        self._by_token[token] = result
        await self._dispatch("INTERACTION_CREATE", payload)
        try:
            await self.wait_for(
                lambda: result.response_type is not None or bool(result.errors), timeout=timeout
            )
        except TimeoutError:
            if expect_response:
                self._violate(
                    f"interaction {iid} ({_INTERACTION_NAMES[itype]}) by user {user_id}: no response within "
                    f"{timeout}s (Discord shows 'This interaction failed')"
                )
        return result

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        candidates = []
        if guild_id is not None:
            candidates += [
                c for c in self._guild_commands.get(guild_id, []) if c["name"] == name and c["type"] == 1
            ]
        candidates += [c for c in self._global_commands if c["name"] == name and c["type"] == 1]
        if not candidates:
            known = sorted(
                {c["name"] for c in self._global_commands}
                | {f"{c['name']} (guild {gid})" for gid, cmds in self._guild_commands.items() for c in cmds}
            )
            raise DoubleUsageError(
                f"/{name} was never synced {f'to guild {guild_id} or ' if guild_id else ''}globally "
                f"(synced commands: {known or 'none'}); call tree.sync() first"
            )
        return candidates[0]

    def _check_visible(self, command: dict[str, Any], user_id: int, guild_id: int | None) -> None:
        contexts = command.get("contexts")
        if guild_id is None:
            if "guild_id" in command:
                raise DoubleUsageError(f"/{command['name']} is a guild command; it cannot be used in DMs")
            if contexts is not None and 1 not in contexts:
                raise DoubleUsageError(
                    f"/{command['name']} does not allow the bot-DM context (contexts={contexts})"
                )
            if command.get("dm_permission") is False:
                raise DoubleUsageError(f"/{command['name']} has dm_permission=false")
            return
        if contexts is not None and 0 not in contexts:
            raise DoubleUsageError(
                f"/{command['name']} does not allow the guild context (contexts={contexts})"
            )
        required = command.get("default_member_permissions")
        if required is not None:
            perms = self.member_permissions(guild_id, user_id)
            if int(required) & ~perms:
                raise DoubleUsageError(
                    f"user {user_id} lacks default_member_permissions={required} for /{command['name']}; "
                    "Discord would not show the command (pass check_visibility=False to force it)"
                )

    def _build_options(
        self,
        defs: list[dict[str, Any]],
        given: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        *,
        autocomplete_focus: str | None,
        command: str,
    ) -> list[dict[str, Any]]:
        if given is None:
            given = {}
        if not isinstance(given, Mapping):  # raw Discord-shaped options, passed through
            return [dict(o) for o in given]
        by_name = {d["name"]: d for d in defs}
        out = []
        for name, value in given.items():
            d = by_name.get(name)
            if d is None:
                raise DoubleUsageError(f"/{command} has no option {name!r} (options: {sorted(by_name)})")
            otype = d["type"]
            opt: dict[str, Any] = {"name": name, "type": otype}
            if autocomplete_focus is not None:
                opt["value"] = value if name != autocomplete_focus else str(value)
                if name == autocomplete_focus:
                    opt["focused"] = True
                out.append(opt)
                continue
            opt["value"] = self._option_value(d, value, resolved, guild_id, command)
            out.append(opt)
        if autocomplete_focus is None:
            missing = [d["name"] for d in defs if d.get("required") and d["name"] not in given]
            if missing:
                raise DoubleUsageError(f"/{command}: required option(s) {missing} missing")
        elif autocomplete_focus not in given:
            raise DoubleUsageError(f"focused option {autocomplete_focus!r} must be in options")
        return out

    def _option_value(
        self,
        d: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        command: str,
    ) -> Any:
        otype = d["type"]
        if otype == 11:  # ATTACHMENT: pass (filename, bytes); the bot downloads it from the CDN
            filename, data = value
            return self._upload((filename, data, "application/octet-stream"), resolved)
        if otype == 6 or (otype == 9 and int(value) in self.users):
            uid = int(value)
            resolved.setdefault("users", {})[str(uid)] = self._user_json(self.user(uid))
            if guild_id is not None:
                member = self._member_spec(self.guilds[guild_id], uid)
                if member is not None:
                    resolved.setdefault("members", {})[str(uid)] = self._member_json(
                        self.guilds[guild_id], member, with_user=False
                    ) | {"permissions": str(self.member_permissions(guild_id, uid))}
            return str(uid)
        if otype in (8, 9):
            guild = self.guilds.get(guild_id or 0)
            role = next((r for r in guild.roles if r.id == int(value)), None) if guild else None
            if role is None:
                raise DoubleUsageError(f"/{command}: role {value} is not in guild {guild_id}")
            resolved.setdefault("roles", {})[str(role.id)] = self._role_json(role)
            return str(role.id)
        if otype == 7:
            cid = int(value)
            if cid not in self._channels:
                raise DoubleUsageError(f"/{command}: unknown channel {cid}")
            ch = self._channels[cid]
            resolved.setdefault("channels", {})[str(cid)] = {
                "id": str(cid),
                "name": ch.get("name"),
                "type": ch["type"],
                "permissions": str(ALL_PERMISSIONS),
            }
            return str(cid)
        if otype == 4:
            value = int(value)
        elif otype == 10:
            value = float(value)
        elif otype == 5:
            value = bool(value)
        elif otype == 3:
            value = str(value)
            if len(value) < d.get("min_length", 0) or len(value) > d.get("max_length", 6000):
                raise DoubleUsageError(f"/{command}: {d['name']}={value!r} violates its length limits")
        if d.get("choices") and value not in [c["value"] for c in d["choices"]]:
            raise DoubleUsageError(f"/{command}: {d['name']}={value!r} is not one of its choices")
        if otype in (4, 10) and (
            (d.get("min_value") is not None and value < d["min_value"])
            or (d.get("max_value") is not None and value > d["max_value"])
        ):
            raise DoubleUsageError(f"/{command}: {d['name']}={value!r} is outside its min/max")
        return value

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        guild_id: int | None,
        user_id: int,
        *,
        focus: str | None,
        check_visibility: bool,
    ) -> dict[str, Any]:
        parts = name.split()
        command = self._find_command(parts[0], guild_id)
        if check_visibility:
            self._check_visible(command, user_id, guild_id)
        resolved: dict[str, dict[str, Any]] = {}
        defs = command.get("options") or []
        path: list[dict[str, Any]] = []
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise DoubleUsageError(
                    f"/{name}: {part!r} is not a subcommand (have {[o['name'] for o in defs]})"
                )
            path.append({"name": part, "type": sub["type"], "options": []})
            defs = sub.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise DoubleUsageError(f"/{name} needs a subcommand: {[o['name'] for o in defs]}")
        leaf = self._build_options(defs, options, resolved, guild_id, autocomplete_focus=focus, command=name)
        nested = leaf
        for node in reversed(path):
            node["options"] = nested
            nested = [node]
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
        expect_response: bool = True,
        check_visibility: bool = True,
    ) -> InteractionResult:
        """Invoke a synced slash command as ``user_id`` and wait for the first response.

        ``name`` may include subcommands ("client add"). ``options`` maps option names to values
        (ids for USER/ROLE/CHANNEL options — resolved users/members/roles/channels are filled in)
        or is a raw list of Discord option objects. ``guild_id=None`` means the bot's DM.
        """
        data = self._command_data(
            name, options, guild_id, user_id, focus=None, check_visibility=check_visibility
        )
        return await self._send_interaction(
            2,
            user_id,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
            timeout=timeout,
            expect_response=expect_response,
        )

    async def autocomplete(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        focused: str | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
    ) -> list[dict[str, Any]]:
        """Send an autocomplete interaction; returns the choices the bot offered.

        With a mapping, ``focused`` names the option being typed (default: the last one).
        """
        if isinstance(options, Mapping):
            focused = focused or list(options)[-1]
        data = self._command_data(
            name, options, guild_id, user_id, focus=focused or "", check_visibility=True
        )
        result = await self._send_interaction(
            4, user_id, data, guild_id=guild_id, channel_id=channel_id, timeout=timeout, expect_response=True
        )
        return result.choices or []

    async def click(
        self,
        user_id: int,
        message: MessageRecord | int,
        custom_id: str,
        *,
        values: Sequence[str] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
        expect_response: bool = True,
        forged: bool = False,
    ) -> InteractionResult:
        """Click a button (or pick ``values`` in a select) on a message the bot sent.

        ``forged=True`` skips the checks Discord's client would make (whose DM it is), to send
        what a crafted request could: the bot must refuse it itself."""
        record = message if isinstance(message, MessageRecord) else self.message(message)
        record = self._messages_by_id[record.message_id]
        if record.deleted:
            raise DoubleUsageError(f"message {record.message_id} was deleted")
        comp = record.find_component(custom_id)
        if comp is None:
            raise DoubleUsageError(
                f"custom_id {custom_id!r} is not on message {record.message_id} "
                f"(it has {record.custom_ids()})"
            )
        if comp.get("disabled"):
            raise DoubleUsageError(f"component {custom_id!r} is disabled")
        if record.ephemeral and record.interaction_user_id not in (None, user_id):
            raise DoubleUsageError(
                f"message {record.message_id} is ephemeral for user {record.interaction_user_id}"
            )
        if record.user_id is not None and record.user_id != user_id and not forged:
            raise DoubleUsageError(f"message {record.message_id} is in the DM of user {record.user_id}")
        data: dict[str, Any] = {"custom_id": comp["custom_id"], "component_type": comp["type"]}
        if "id" in comp:
            data["id"] = comp["id"]
        if comp["type"] in _SELECT_TYPES:
            if values is None:
                raise DoubleUsageError(f"{custom_id!r} is a select: pass values=[...]")
            if comp["type"] == 3:
                allowed = [o["value"] for o in comp.get("options", [])]
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise DoubleUsageError(f"values {bad} are not options of {custom_id!r} ({allowed})")
            data["values"] = list(values)
        elif values is not None:
            raise DoubleUsageError(f"{custom_id!r} is a button; values do not apply")
        return await self._send_interaction(
            3,
            user_id,
            data,
            guild_id=record.guild_id,
            channel_id=record.channel_id if record.guild_id is not None else None,
            message=record,
            timeout=timeout,
            expect_response=expect_response,
        )

    async def submit_modal(
        self,
        user_id: int,
        modal_custom_id: str,
        values: Mapping[str, str | Sequence[str] | Sequence[Upload]],
        message: MessageRecord | int | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
        expect_response: bool = True,
    ) -> InteractionResult:
        """Submit a modal as ``user_id``.

        If the bot showed a modal with this custom_id, the submission mirrors its layout (Labels,
        legacy rows, text displays), fills unspecified inputs with their defaults and enforces what
        the Discord client would (required, min/max length, select options, file counts and the
        upload size limit). Otherwise Labels are built from ``values`` (str -> text input, list of
        str -> string select, list of :data:`Upload` -> file upload). Uploaded files are served by
        the CDN and sent in ``data.resolved.attachments``, as Discord does.
        """
        resolved: dict[str, dict[str, Any]] = {}
        shown = self.modals.get(modal_custom_id)
        if shown is not None:
            if shown.user_id != user_id:
                raise DoubleUsageError(
                    f"modal {modal_custom_id!r} was shown to user {shown.user_id}, not {user_id}"
                )
            components = self._mirror_modal(shown, values, resolved)
            guild_id = shown.guild_id if guild_id is None else guild_id
            channel_id = channel_id or (shown.channel_id if shown.guild_id is not None else None)
            if message is None and shown.source_message_id is not None:
                message = shown.source_message_id
        else:
            components = []
            for i, (cid, value) in enumerate(values.items()):
                if isinstance(value, str):
                    inner: dict[str, Any] = {"type": 4, "id": 2 * i + 2, "custom_id": cid, "value": value}
                elif value and all(isinstance(v, tuple) for v in value):
                    ids = [self._upload(v, resolved) for v in value]  # type: ignore[arg-type]
                    inner = {"type": 19, "id": 2 * i + 2, "custom_id": cid, "values": ids}
                else:
                    inner = {"type": 3, "id": 2 * i + 2, "custom_id": cid, "values": list(value)}
                components.append({"type": 18, "id": 2 * i + 1, "component": inner})
        record = None
        if message is not None:
            record = message if isinstance(message, MessageRecord) else self.message(message)
            if guild_id is None and record.guild_id is not None:
                guild_id, channel_id = record.guild_id, record.channel_id
        data: dict[str, Any] = {"custom_id": modal_custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        return await self._send_interaction(
            5,
            user_id,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            message=record,
            timeout=timeout,
            expect_response=expect_response,
        )

    def _mirror_modal(
        self,
        shown: ModalRecord,
        values: Mapping[str, str | Sequence[str] | Sequence[Upload]],
        resolved: dict[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        known = {c["custom_id"] for c in shown.inputs()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DoubleUsageError(
                f"modal {shown.custom_id!r} has no inputs {unknown} (it has {sorted(known)})"
            )
        ids = itertools.count(1)

        def submit(comp: dict[str, Any]) -> dict[str, Any]:
            cid = comp["custom_id"]
            ctype = comp["type"]
            out: dict[str, Any] = {"type": ctype, "id": comp.get("id", next(ids)), "custom_id": cid}
            if ctype == 4:
                value = values.get(cid, comp.get("value") or "")
                if not isinstance(value, str):
                    raise DoubleUsageError(f"text input {cid!r} takes a string")
                if comp.get("required", True) and not value:
                    raise DoubleUsageError(f"text input {cid!r} is required")
                if value and (
                    len(value) < (comp.get("min_length") or 0) or len(value) > comp.get("max_length", 4000)
                ):
                    raise DoubleUsageError(f"text input {cid!r}: {len(value)} chars outside min/max length")
                out["value"] = value
            elif ctype == 19:  # file upload: the client uploads, the bot gets attachment ids
                files = list(values.get(cid, []))
                if any(not isinstance(f, tuple) or len(f) not in (2, 3) for f in files):
                    raise DoubleUsageError(f"file upload {cid!r} takes (filename, bytes[, content_type])")
                low, high = comp.get("min_values", 1), comp.get("max_values", 1)
                if comp.get("required", True) and len(files) < max(1, low):
                    raise DoubleUsageError(f"file upload {cid!r} needs at least {max(1, low)} file(s)")
                if len(files) > high:
                    raise DoubleUsageError(f"file upload {cid!r} takes at most {high} file(s)")
                limit = self.upload_limit_of(shown.user_id)  # the interaction's attachment_size_limit
                for f in files:
                    if len(f[1]) > limit:
                        raise DoubleUsageError(f"file upload {cid!r}: {f[0]} is over the {limit} byte limit")
                out["values"] = [self._upload(f, resolved) for f in files]  # type: ignore[arg-type]
            else:
                raw = values.get(cid, [])
                chosen = [raw] if isinstance(raw, str) else list(raw)
                if ctype == 3:
                    allowed = [o["value"] for o in comp.get("options", [])]
                    if any(v not in allowed for v in chosen):
                        raise DoubleUsageError(f"select {cid!r}: {chosen} not within options {allowed}")
                if comp.get("required", True) and len(chosen) < max(1, comp.get("min_values", 1)):
                    raise DoubleUsageError(
                        f"select {cid!r} needs at least {comp.get('min_values', 1)} value(s)"
                    )
                out["values"] = chosen
            return out

        result = []
        for top in shown.components:
            ttype = top.get("type")
            if ttype == 18:
                result.append(
                    {"type": 18, "id": top.get("id", next(ids)), "component": submit(top["component"])}
                )
            elif ttype == 1:
                result.append(
                    {
                        "type": 1,
                        "id": top.get("id", next(ids)),
                        "components": [submit(c) for c in top.get("components", [])],
                    }
                )
            elif ttype == 10:
                result.append({"type": 10, "id": top.get("id", next(ids))})
        return result
