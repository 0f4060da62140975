"""Discord's documented limits (shared/PLATFORM_FACTS.md §2-§4) and the checks that find a breach,
components v2 included (developers/components/reference.mdx; change-log "Raised Component Limits";
resources/message.mdx, Create Message and Edit Message). The 4,000 characters across a v2
message's text displays are discord.py's (LayoutView.content_length) and the issue's: Discord's
reference gives no text limit, so that one is to verify live.

The checks are pure: each collects ``(field path, message)`` problems. The layers that receive a
payload (messages.py for message bodies, rest.py for command syncs, interaction callbacks and
uploads) answer a breach the way Discord does — 400 with code 50035 and :func:`_nest_problems` as
``errors`` — *and* record it as a violation, which the fixture turns into a test failure (rest.py
also checks history queries here). The windows below (interaction deadline, token lifetime, nonce
window) are enforced by rest.py: the first two on the double's elapsed-time clock, the nonce window
on its calendar clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .constants import IS_COMPONENTS_V2
from .records import _walk_components

INTERACTION_DEADLINE = 3.0  # seconds to the initial response
TOKEN_LIFETIME = 15 * 60.0  # seconds a token is valid for follow-ups and edits
NONCE_WINDOW = 5 * 60.0  # enforce_nonce window ("a few minutes" in the docs), on the calendar clock
HISTORY_DEFAULT_LIMIT = 50  # GET /channels/{id}/messages without ``limit``
HISTORY_MAX_LIMIT = 100
HISTORY_ANCHORS = ("around", "before", "after")  # mutually exclusive query parameters
MAX_FILE_SIZE = 10 * 1024 * 1024  # default per-file upload limit (no boosts)
MAX_REQUEST_SIZE = 25 * 1024 * 1024  # whole request

_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
#: Which callback types may answer which interaction type (interaction type -> callback types).
_ALLOWED_CALLBACKS: dict[int, set[int]] = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}

Problems = list[tuple[str, str]]


def _strlen(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _check_len(problems: Problems, path: str, value: Any, maximum: int, minimum: int = 0) -> None:
    if value is None:
        if minimum > 0:
            problems.append((path, "This field is required"))
        return
    if not isinstance(value, str):
        problems.append((path, "Must be a string"))
        return
    if len(value) > maximum:
        problems.append((path, f"Must be {maximum} or fewer in length (got {len(value)})."))
    if len(value) < minimum:
        problems.append((path, f"Must be {minimum} or more in length (got {len(value)})."))


def _check_embeds(problems: Problems, embeds: Any, prefix: str) -> None:
    if not isinstance(embeds, list):
        problems.append((prefix, "Must be an array"))
        return
    if len(embeds) > 10:
        problems.append((prefix, f"Must be 10 or fewer in length (got {len(embeds)})."))
    total = 0
    for i, embed in enumerate(embeds):
        p = f"{prefix}.{i}"
        if not isinstance(embed, dict):
            problems.append((p, "Must be an object"))
            continue
        _check_len(problems, f"{p}.title", embed.get("title"), 256)
        _check_len(problems, f"{p}.description", embed.get("description"), 4096)
        total += _strlen(embed.get("title")) + _strlen(embed.get("description"))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append((f"{p}.fields", f"Must be 25 or fewer in length (got {len(fields)})."))
        for j, fld in enumerate(fields):
            _check_len(problems, f"{p}.fields.{j}.name", fld.get("name"), 256, 1)
            _check_len(problems, f"{p}.fields.{j}.value", fld.get("value"), 1024, 1)
            total += _strlen(fld.get("name")) + _strlen(fld.get("value"))
        footer = embed.get("footer") or {}
        _check_len(problems, f"{p}.footer.text", footer.get("text"), 2048)
        author = embed.get("author") or {}
        _check_len(problems, f"{p}.author.name", author.get("name"), 256)
        total += _strlen(footer.get("text")) + _strlen(author.get("name"))
    if total > 6000:
        problems.append((prefix, f"Embed size exceeds maximum size of 6000 (got {total})."))


def _check_custom_id(problems: Problems, path: str, custom_id: Any, seen: set[str]) -> None:
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        got = len(custom_id) if isinstance(custom_id, str) else type(custom_id).__name__
        problems.append((f"{path}.custom_id", f"custom_id must be 1-100 characters (got {got})."))
        return
    if custom_id in seen:
        problems.append((f"{path}.custom_id", f"Component custom id cannot be duplicated ({custom_id!r})."))
    seen.add(custom_id)


def _check_select(
    problems: Problems, path: str, comp: dict[str, Any], seen: set[str], in_modal: bool
) -> None:
    _check_custom_id(problems, path, comp.get("custom_id"), seen)
    _check_len(problems, f"{path}.placeholder", comp.get("placeholder"), 150)
    if in_modal and comp.get("disabled"):
        problems.append((f"{path}.disabled", "disabled is not allowed for selects in modals."))
    min_v, max_v = comp.get("min_values", 1), comp.get("max_values", 1)
    if not 0 <= min_v <= 25 or not 1 <= max_v <= 25 or min_v > max_v:
        problems.append((path, f"min_values/max_values out of range ({min_v}, {max_v})."))
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not 1 <= len(options) <= 25:
            problems.append((f"{path}.options", f"Must be between 1 and 25 in length (got {len(options)})."))
        if options and max_v > len(options):
            problems.append((f"{path}.max_values", "max_values exceeds the number of options."))
        for k, opt in enumerate(options):
            _check_len(problems, f"{path}.options.{k}.label", opt.get("label"), 100, 1)
            _check_len(problems, f"{path}.options.{k}.value", opt.get("value"), 100, 1)
            _check_len(problems, f"{path}.options.{k}.description", opt.get("description"), 100)


# Components v2 (docs: developers/components/reference.mdx, "Component Types" and each
# component's "Child Components"; resources/message.mdx, Create Message ** and Edit Message *).
_V2_ONLY = frozenset({9, 10, 11, 12, 13, 14, 17})  # section ... container: only with the flag
#: Where each component may stand: the top of a v2 message, inside an action row, a container or a
#: section, or as a section's accessory. A button is never top level (row or accessory only), a
#: thumbnail only an accessory, a container never inside another.
_ALLOWED = {
    "top": frozenset({1, 9, 10, 12, 13, 14, 17}),
    "row": frozenset({2, *_SELECT_TYPES}),
    "container": frozenset({1, 9, 10, 12, 13, 14}),
    "section": frozenset({10}),
    "accessory": frozenset({2, 11}),
}
_PLACES = {
    "top": "at the top of a message",
    "row": "in an action row",
    "container": "in a container",
    "section": "in a section (its components are text displays)",
    "accessory": "as a section's accessory (a button or a thumbnail)",
}
MAX_V2_COMPONENTS = 40  # every component, nested ones included (change-log "Raised Component Limits")
MAX_V2_TEXT = 4000  # characters across all text displays (discord.py LayoutView.content_length)
MAX_LEGACY_ROWS = 5  # "Legacy messages allow up to 5 action rows as top-level components"
_INT32 = 2**31 - 1


def _check_media(problems: Problems, path: str, media: Any, *, attachment_only: bool = False) -> None:
    url = media.get("url") if isinstance(media, dict) else None
    if not isinstance(url, str) or not url:
        problems.append((f"{path}.url", "This field is required"))
    elif attachment_only and not url.startswith("attachment://"):
        problems.append((f"{path}.url", "A file component only takes attachment://<filename>."))


def _check_message_component(
    problems: Problems, path: str, comp: Any, seen: set[str], v2: bool, where: str
) -> None:
    if not isinstance(comp, dict):
        problems.append((path, "Must be an object"))
        return
    ctype = comp.get("type")
    if "id" in comp and (not isinstance(comp["id"], int) or not 0 <= comp["id"] <= _INT32):
        problems.append((f"{path}.id", "id must be a 32-bit integer."))
    if where == "top" and not v2 and ctype != 1:
        problems.append(
            (f"{path}.type", "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.")
        )
        if ctype in _V2_ONLY:
            problems.append(
                (f"{path}.type", f"Component type {ctype} needs the IS_COMPONENTS_V2 flag (1 << 15).")
            )
        return
    if ctype not in _ALLOWED[where]:
        problems.append((f"{path}.type", f"Component type {ctype!r} is not valid {_PLACES[where]}."))
        return
    if ctype == 1:
        children = comp.get("components") or []
        if not 1 <= len(children) <= 5:
            problems.append(
                (f"{path}.components", f"Must be between 1 and 5 in length (got {len(children)}).")
            )
        if (
            any(isinstance(c, dict) and c.get("type") in _SELECT_TYPES for c in children)
            and len(children) > 1
        ):
            problems.append(
                (f"{path}.components", "An action row with a select menu holds exactly one component.")
            )
        for k, child in enumerate(children):
            _check_message_component(problems, f"{path}.components.{k}", child, seen, v2, "row")
    elif ctype == 2:
        style = comp.get("style")
        _check_len(problems, f"{path}.label", comp.get("label"), 80)
        if style == 5:
            _check_len(problems, f"{path}.url", comp.get("url"), 512, 1)
            if "custom_id" in comp:
                problems.append((f"{path}.custom_id", "Link buttons cannot have a custom_id."))
        elif style == 6:
            if not comp.get("sku_id"):
                problems.append((f"{path}.sku_id", "Premium buttons need a sku_id."))
        elif style in (1, 2, 3, 4):
            _check_custom_id(problems, path, comp.get("custom_id"), seen)
            if not comp.get("label") and not comp.get("emoji"):
                problems.append((path, "A button needs a label or an emoji."))
        else:
            problems.append((f"{path}.style", f"Invalid button style {style!r}."))
    elif ctype in _SELECT_TYPES:
        _check_select(problems, path, comp, seen, in_modal=False)
    elif ctype == 9:  # section: 1-3 text displays and one accessory
        children = comp.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= 3:
            got = len(children) if isinstance(children, list) else 0
            problems.append((f"{path}.components", f"A section holds 1-3 text displays (got {got})."))
            children = children if isinstance(children, list) else []
        for k, child in enumerate(children):
            _check_message_component(problems, f"{path}.components.{k}", child, seen, v2, "section")
        if not isinstance(comp.get("accessory"), dict):
            problems.append((f"{path}.accessory", "A section needs an accessory (a button or a thumbnail)."))
        else:
            _check_message_component(problems, f"{path}.accessory", comp["accessory"], seen, v2, "accessory")
    elif ctype == 10:
        _check_len(problems, f"{path}.content", comp.get("content"), MAX_V2_TEXT, 1)
    elif ctype == 11:  # thumbnail
        _check_media(problems, f"{path}.media", comp.get("media"))
        _check_len(problems, f"{path}.description", comp.get("description"), 1024)
    elif ctype == 12:  # media gallery
        items = comp.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= 10:
            problems.append((f"{path}.items", "A media gallery holds 1-10 items."))
            items = items if isinstance(items, list) else []
        for k, item in enumerate(items):
            _check_media(
                problems, f"{path}.items.{k}.media", item.get("media") if isinstance(item, dict) else None
            )
    elif ctype == 13:  # file
        _check_media(problems, f"{path}.file", comp.get("file"), attachment_only=True)
    elif ctype == 14:  # separator
        if "divider" in comp and not isinstance(comp["divider"], bool):
            problems.append((f"{path}.divider", "Must be a boolean."))
        if comp.get("spacing", 1) not in (1, 2):
            problems.append((f"{path}.spacing", "Spacing must be 1 (small) or 2 (large)."))
    elif ctype == 17:  # container
        children = comp.get("components")
        if not isinstance(children, list):
            problems.append((f"{path}.components", "This field is required"))
            children = []
        color = comp.get("accent_color")
        if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
            problems.append(
                (f"{path}.accent_color", "accent_color must be an RGB integer 0x000000-0xFFFFFF.")
            )
        for k, child in enumerate(children):
            _check_message_component(problems, f"{path}.components.{k}", child, seen, v2, "container")


def _check_components(problems: Problems, components: Any, flags: int, prefix: str = "components") -> None:
    if not isinstance(components, list):
        problems.append((prefix, "Must be an array"))
        return
    v2 = bool(flags & IS_COMPONENTS_V2)
    everything = list(_walk_components(components))
    if v2:
        if len(everything) > MAX_V2_COMPONENTS:
            problems.append(
                (prefix, f"Must be {MAX_V2_COMPONENTS} or fewer components in total (got {len(everything)}).")
            )
        text = sum(_strlen(c.get("content")) for c in everything if c.get("type") == 10)
        if text > MAX_V2_TEXT:
            problems.append(
                (prefix, f"Text displays must hold {MAX_V2_TEXT} or fewer characters in total (got {text}).")
            )
    elif len(components) > MAX_LEGACY_ROWS:
        problems.append((prefix, f"Must be {MAX_LEGACY_ROWS} or fewer in length (got {len(components)})."))
    # "The id must be unique within the message" (0 counts as empty: the API fills it in).
    ids = [c["id"] for c in everything if isinstance(c.get("id"), int) and c["id"] != 0]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append((prefix, f"Component id {duplicate} is used more than once in the message."))
    seen: set[str] = set()  # custom_ids: unique across the whole message, however nested
    for i, comp in enumerate(components):
        _check_message_component(problems, f"{prefix}.{i}", comp, seen, v2, "top")


#: What IS_COMPONENTS_V2 rules out, and the empty value that may stand for each (resources/message
#: "Edit Message": content and poll reset to null, embeds and sticker_ids to []).
_LEGACY_FIELDS = {"content": None, "embeds": [], "sticker_ids": [], "poll": None}


def _check_message_payload(
    payload: Mapping[str, Any],
    n_files: int,
    *,
    creating: bool,
    existing: Mapping[str, Any] | None = None,
) -> tuple[Problems, bool]:
    """Problems with a message body, and whether it is empty (Discord's 50006). On an edit,
    `existing` is the message as it stands (its ``flags``, ``content``, ``embeds``): a message
    with IS_COMPONENTS_V2 keeps it, and one taking it must reset its legacy fields."""
    problems: Problems = []
    flags = int(payload.get("flags") or 0)
    old_flags = int((existing or {}).get("flags") or 0)
    if old_flags & IS_COMPONENTS_V2:
        if payload.get("flags") is not None and not flags & IS_COMPONENTS_V2:
            problems.append(("flags", "IS_COMPONENTS_V2 cannot be removed from a message."))
        flags |= IS_COMPONENTS_V2
    elif existing is not None and flags & IS_COMPONENTS_V2:
        for name, empty_value in (("content", None), ("embeds", [])):
            if existing.get(name) and name not in payload:
                problems.append(
                    (name, f"Setting IS_COMPONENTS_V2 needs {name} reset to {json.dumps(empty_value)}.")
                )
    _check_len(problems, "content", payload.get("content"), 2000)
    if "embeds" in payload and payload["embeds"] is not None:
        _check_embeds(problems, payload["embeds"], "embeds")
    if "components" in payload and payload["components"] is not None:
        _check_components(problems, payload["components"], flags)
    attachments = payload.get("attachments") or []
    if max(len(attachments), n_files) > 10:
        problems.append(
            ("attachments", f"Must be 10 or fewer in length (got {max(len(attachments), n_files)}).")
        )
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        problems.append(("nonce", f"Must be 25 or fewer in length (got {len(nonce)})."))
    if flags & IS_COMPONENTS_V2:
        for name, empty_value in _LEGACY_FIELDS.items():
            if name in payload and payload[name] != empty_value:
                problems.append((name, f"{name} cannot be used with IS_COMPONENTS_V2."))
    empty = creating and not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or n_files
        or payload.get("sticker_ids")
        or payload.get("poll")
    )
    return problems, empty


def _check_history_query(query: Mapping[str, str]) -> Problems:
    """Problems with Get Channel Messages' query: ``limit`` 1-100, one snowflake anchor at most."""
    problems: Problems = []
    raw = query.get("limit")
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            problems.append(("limit", f'Value "{raw}" is not int.'))
        else:
            if limit < 1:
                problems.append(("limit", "int value should be greater than or equal to 1."))
            elif limit > HISTORY_MAX_LIMIT:
                problems.append(("limit", f"int value should be less than or equal to {HISTORY_MAX_LIMIT}."))
    given = [name for name in HISTORY_ANCHORS if name in query]
    for name in given:
        if not query[name].isdigit():
            problems.append((name, f'Value "{query[name]}" is not snowflake.'))
    if len(given) > 1:
        problems.append((given[1], f"{', '.join(given)} are mutually exclusive: pass one at most."))
    return problems


def _check_modal_input(problems: Problems, path: str, comp: Any, seen: set[str], legacy: bool) -> None:
    if not isinstance(comp, dict):
        problems.append((path, "This field is required"))
        return
    ctype = comp.get("type")
    if ctype == 4:
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if comp.get("style", 1) not in (1, 2):
            problems.append((f"{path}.style", "Text input style must be 1 or 2."))
        if legacy:
            _check_len(problems, f"{path}.label", comp.get("label"), 45, 1)
        _check_len(problems, f"{path}.placeholder", comp.get("placeholder"), 100)
        min_len, max_len = comp.get("min_length"), comp.get("max_length")
        if min_len is not None and not 0 <= min_len <= 4000:
            problems.append((f"{path}.min_length", "min_length must be 0-4000."))
        if max_len is not None and not 1 <= max_len <= 4000:
            problems.append((f"{path}.max_length", "max_length must be 1-4000."))
        if min_len is not None and max_len is not None and min_len > max_len:
            problems.append((path, "min_length is greater than max_length."))
        value = comp.get("value")
        _check_len(problems, f"{path}.value", value, 4000)
        if isinstance(value, str) and max_len is not None and len(value) > max_len:
            problems.append((f"{path}.value", "value is longer than max_length."))
    elif ctype in _SELECT_TYPES:
        _check_select(problems, path, comp, seen, in_modal=True)
    elif ctype == 19:  # file upload
        if legacy:
            problems.append((f"{path}.type", "A file upload must be inside a Label (type 18)."))
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if not 0 <= comp.get("min_values", 1) <= 10 or not 1 <= comp.get("max_values", 1) <= 10:
            problems.append((path, "File upload min/max_values must be within 0-10."))
    elif ctype == 21:  # radio group
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if not 2 <= len(comp.get("options") or []) <= 10:
            problems.append((f"{path}.options", "A radio group has 2-10 options."))
    elif ctype == 22:  # checkbox group
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if not 1 <= len(comp.get("options") or []) <= 10:
            problems.append((f"{path}.options", "A checkbox group has 1-10 options."))
    elif ctype == 23:  # checkbox
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
    else:
        problems.append((f"{path}.type", f"Component type {ctype!r} is not valid in a modal."))


def _check_modal(data: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    cid = data.get("custom_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
        problems.append(("data.custom_id", "custom_id must be 1-100 characters."))
    _check_len(problems, "data.title", data.get("title"), 45, 1)
    comps = data.get("components")
    if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
        n = len(comps) if isinstance(comps, list) else 0
        problems.append(("data.components", f"Must be between 1 and 5 in length (got {n})."))
        comps = comps if isinstance(comps, list) else []
    seen: set[str] = set()
    for i, comp in enumerate(comps):
        p = f"data.components.{i}"
        ctype = comp.get("type") if isinstance(comp, dict) else None
        if ctype == 18:
            _check_len(problems, f"{p}.label", comp.get("label"), 45, 1)
            _check_len(problems, f"{p}.description", comp.get("description"), 100)
            _check_modal_input(problems, f"{p}.component", comp.get("component"), seen, legacy=False)
        elif ctype == 10:
            _check_len(problems, f"{p}.content", comp.get("content"), 4000, 1)
        elif ctype == 1:
            children = comp.get("components") or []
            if len(children) != 1:
                problems.append((f"{p}.components", "A modal action row holds exactly one text input."))
            for k, child in enumerate(children):
                _check_modal_input(problems, f"{p}.components.{k}", child, seen, legacy=True)
        else:
            problems.append((f"{p}.type", f"Component type {ctype!r} is not valid at the top of a modal."))
    return problems


def _check_commands(commands: Any) -> Problems:
    problems: Problems = []
    if not isinstance(commands, list):
        return [("", "Must be an array")]
    names: set[tuple[str, int]] = set()
    chat_inputs = 0
    for i, cmd in enumerate(commands):
        p = str(i)
        ctype = cmd.get("type", 1)
        name = cmd.get("name")
        if (
            not isinstance(name, str)
            or not _COMMAND_NAME.match(name)
            or (ctype == 1 and name != name.lower())
        ):
            problems.append((f"{p}.name", f"Invalid command name {name!r}."))
        if (name, ctype) in names:
            problems.append((f"{p}.name", f"Application command names must be unique ({name!r})."))
        names.add((name, ctype))
        if ctype == 1:
            chat_inputs += 1
            _check_len(problems, f"{p}.description", cmd.get("description"), 100, 1)
            _check_options(problems, f"{p}.options", cmd.get("options") or [], depth=0)
    if chat_inputs > 100:
        problems.append(("", "Maximum number of application commands reached (100)."))
    return problems


def _check_options(problems: Problems, prefix: str, options: list[dict[str, Any]], depth: int) -> None:
    if len(options) > 25:
        problems.append((prefix, f"Must be 25 or fewer in length (got {len(options)})."))
    seen_optional = False
    for i, opt in enumerate(options):
        p = f"{prefix}.{i}"
        name = opt.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            problems.append((f"{p}.name", f"Invalid option name {name!r}."))
        _check_len(problems, f"{p}.description", opt.get("description"), 100, 1)
        if len(opt.get("choices") or []) > 25:
            problems.append((f"{p}.choices", "Must be 25 or fewer in length."))
        otype = opt.get("type")
        if otype in (1, 2):
            if (otype == 2 and depth > 0) or (otype == 1 and depth > 1):
                problems.append((f"{p}.type", "Sub-command nesting is too deep."))
            _check_options(problems, f"{p}.options", opt.get("options") or [], depth + 1)
        elif opt.get("required"):
            if seen_optional:
                problems.append(
                    (f"{p}.required", "Required options must be placed before non-required options.")
                )
        else:
            seen_optional = True


def _nest_problems(problems: Problems) -> dict[str, Any]:
    """Discord's 50035 ``errors`` shape: nested by field path, leaves hold ``_errors``."""
    root: dict[str, Any] = {}
    for path, message in problems:
        node = root
        for part in [p for p in path.split(".") if p]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return root
