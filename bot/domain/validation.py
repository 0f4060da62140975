"""Reading files coaches write (YAML or JSON) and turning pydantic's errors into located
problems a person can act on: `days[1].exercises[3].rest: required`."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.domain.errors import InputError

Model = TypeVar("Model", bound=BaseModel)


def location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, str) and ("[" in part or "(" in part):
            continue  # pydantic's internal step names (union members, validators), not fields
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def message(error: dict[str, Any]) -> str:
    if error["type"] == "missing":
        return "required"
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    return str(error["msg"]).removeprefix("Value error, ")


def problems_of(exc: ValidationError) -> list[str]:
    found: list[str] = []
    for error in exc.errors(include_url=False):
        problem = f"{location(error['loc'])}: {message(dict(error))}"
        if problem not in found:
            found.append(problem)
    return found


def load_document(text: str, filename: str) -> dict[str, Any]:
    """Parse YAML (or JSON, by the file name) into a mapping; InputError otherwise."""
    is_json = filename.lower().endswith(".json")
    kind = "JSON" if is_json else "YAML"
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{filename}: not valid {kind}: {exc}") from None
    except (ValueError, RecursionError):
        # A 5,000-digit number or 100,000 nested brackets: valid syntax, not a plan anyone wrote.
        raise InputError(
            f"{filename}: not a {kind} file this bot can read (absurd numbers or nesting)"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{filename}: expected a mapping of fields (id, name, …) at the top")
    where = _nul_at(data, ())
    if where is not None:
        raise InputError(f"{filename}: {location(where)}: contains a NUL character (\\u0000); remove it")
    return data


def _nul_at(value: Any, path: tuple[int | str, ...]) -> tuple[int | str, ...] | None:
    """Where a NUL character hides in a parsed document (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if len(path) > 50:
        return None  # pydantic refuses such shapes anyway
    items: list[tuple[int | str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return (*path, key)
            items.append((str(key), item))
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        found = _nul_at(item, (*path, key))
        if found is not None:
            return found
    return None


def parse_model(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_of(exc)) from None
