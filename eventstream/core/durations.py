"""Human durations such as ``15m``, ``1d`` or ``30d`` (JWT_EXPIRES_IN, API key expiresIn)."""

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(value: str) -> timedelta:
    """Parse ``<int><s|m|h|d|w>``; a bare integer means seconds."""
    text = str(value).strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"invalid duration {value!r}: use e.g. 30s, 15m, 12h, 1d, 2w")
    amount, unit = match.groups()
    if int(amount) <= 0:
        raise ValueError(f"invalid duration {value!r}: must be positive")
    return timedelta(**{_UNITS[unit]: int(amount)})
