"""Every persistent custom_id the bot puts on a button or a form, with the pattern that parses it.

A custom_id outlives the process (a button on yesterday's DM is clicked after a restart), so its
layout is part of the product: change one and old messages stop working. Each layout is written
once here; the engines format them, the cogs route on `pattern`, and nothing else spells them.
Discord allows 100 characters; ours stay under 50, and under 80 with a reference.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

_USER = r"(?P<user>[0-9]{1,20})"
_DAY = r"(?P<day>[0-9]{8})"
_INDEX = r"(?P<index>[0-9]{1,3})"
_REFERENCE = r"(?:~(?P<ref>[a-z0-9.]{1,25}))?"


@dataclass(frozen=True)
class CustomId:
    """`prefix:user:yyyymmdd[:index]` — whose it is, which local day, and which item."""

    prefix: str
    indexed: bool = False
    pattern: str = field(init=False)

    def __post_init__(self) -> None:
        tail = f":{_INDEX}" if self.indexed else ""
        # A sent message's first button also carries the job's reference (bot.views.markers).
        object.__setattr__(self, "pattern", rf"{re.escape(self.prefix)}:{_USER}:{_DAY}{tail}{_REFERENCE}")

    def format(self, *, user_id: int, day: dt.date, index: int | None = None) -> str:
        """The custom_id; `index` is required by an indexed layout and ignored by the others."""
        if self.indexed and index is None:
            raise ValueError(f"{self.prefix}: an index is required")
        tail = f":{index}" if self.indexed else ""
        return f"{self.prefix}:{user_id}:{day:%Y%m%d}{tail}"

    def match(self, custom_id: str) -> re.Match[str] | None:
        return re.fullmatch(self.pattern, custom_id)


# Check-in: two buttons, two forms.
CHECKIN_FEEL = CustomId("rg:ci:feel")
CHECKIN_BODY = CustomId("rg:ci:body")
CHECKIN_FEEL_FORM = CustomId("rg:ci:feelm")
CHECKIN_BODY_FORM = CustomId("rg:ci:bodym")
# Meals: two buttons per meal, and the off-plan note.
MEAL_FOLLOWED = CustomId("rg:ml:ok", indexed=True)
MEAL_OFF_PLAN = CustomId("rg:ml:off", indexed=True)
MEAL_NOTE_FORM = CustomId("rg:ml:note", indexed=True)
# Cardio: one button, one form.
CARDIO_LOG = CustomId("rg:cd:log")
CARDIO_FORM = CustomId("rg:cd:set")
# The weekly check-in: the check-in's button and form, then the photos' button and form; and
# under its announcement to the coaches, "See the check-in" and "Answer" with the answer's form.
REVIEW_OPEN = CustomId("rg:wk:open")
REVIEW_FORM = CustomId("rg:wk:set")
REVIEW_PHOTOS = CustomId("rg:wk:pic")
REVIEW_PHOTOS_FORM = CustomId("rg:wk:picm")
REVIEW_SEE = CustomId("rg:wk:see")
REVIEW_ANSWER = CustomId("rg:wk:ans")
REVIEW_ANSWER_FORM = CustomId("rg:wk:ansm")
# Training: one button and one form per exercise.
WORKOUT_LOG = CustomId("rg:tr:log", indexed=True)
WORKOUT_FORM = CustomId("rg:tr:set", indexed=True)
# The private line: "Reply" under a coach's note, and its form: whose note, the client's local
# day it was written, and its number that day.
NOTE_REPLY = CustomId("rg:nt:re", indexed=True)
NOTE_REPLY_FORM = CustomId("rg:nt:rem", indexed=True)

ALL = (
    CHECKIN_FEEL, CHECKIN_BODY, CHECKIN_FEEL_FORM, CHECKIN_BODY_FORM,
    MEAL_FOLLOWED, MEAL_OFF_PLAN, MEAL_NOTE_FORM,
    CARDIO_LOG, CARDIO_FORM,
    REVIEW_OPEN, REVIEW_FORM, REVIEW_PHOTOS, REVIEW_PHOTOS_FORM,
    REVIEW_SEE, REVIEW_ANSWER, REVIEW_ANSWER_FORM,
    WORKOUT_LOG, WORKOUT_FORM,
    NOTE_REPLY, NOTE_REPLY_FORM,
)  # fmt: skip
