"""Reading files coaches write (YAML or JSON) and turning pydantic's errors into located
problems a person can act on: `days[1].exercises[3].rest: required`."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import InputError

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
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{filename}: not valid {'JSON' if is_json else 'YAML'}: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{filename}: expected a mapping of fields (id, name, …) at the top")
    return data


def parse_model(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_of(exc)) from None
