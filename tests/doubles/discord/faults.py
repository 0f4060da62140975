"""Fault injection: the next matching REST requests fail (5xx, 429, a lost response) on purpose.

:meth:`FaultInjection.fail_next` arms a :class:`Fault`; the REST layer (rest.py) takes it when a
request matches and shapes the error response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .state import DoubleState


@dataclass
class Fault:
    """An injected failure (see :meth:`DiscordDouble.fail_next`)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    code: int
    message: str
    remaining: int
    retry_after: float | None
    global_: bool
    commit: bool
    hits: list[str] = field(default_factory=list)


class FaultInjection(DoubleState):
    """The part of the double that lets a test arm failures (see :meth:`fail_next`)."""

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        code: int = 0,
        message: str = "",
        times: int = 1,
        retry_after: float | None = None,
        global_: bool = False,
        commit: bool = False,
    ) -> Fault:
        """Answer the next ``times`` matching requests with an error instead of handling them.

        ``method`` may be "*". ``path_regex`` is searched in the path after ``/api/v10``.
        For 429, ``retry_after`` (default 0.05 s) goes in the body; ``global_`` picks the
        global-limit shape (``global: true``, X-RateLimit-Global, scope "global") instead of a
        per-route one (scope "user"). With ``commit=True`` the request is processed first and
        *then* the error is returned — a lost response, which is what nonces exist for.
        """
        fault = Fault(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            code=code,
            message=message or _default_status_message(status),
            remaining=times,
            retry_after=retry_after,
            global_=global_,
            commit=commit,
        )
        self._faults.append(fault)
        return fault

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in ("*", method) and fault.pattern.search(path):
                fault.remaining -= 1
                fault.hits.append(f"{method} {path}")
                return fault
        return None


def _default_status_message(status: int) -> str:
    return {
        400: "Bad Request",
        401: "401: Unauthorized",
        403: "Missing Permissions",
        404: "404: Not Found",
        429: "You are being rate limited.",
        500: "500: Internal Server Error",
        502: "502: Bad Gateway",
        503: "503: Service Unavailable",
        504: "504: Gateway Timeout",
    }.get(status, f"HTTP {status}")
