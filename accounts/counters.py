"""One Redis command per request for every counter it bumps: the rate-limit windows of a view
and the API key usage hashes (see :mod:`accounts.ratelimit` and :mod:`accounts.usage`).

A Lua script (``EVALSHA``; loaded with ``EVAL`` when the server does not know it yet) runs
atomically on the server, so a window counter is created with its expiry in the same step as
its first increment, as ``SET NX EX`` + ``INCR`` would. One command instead of a pipeline of
four also costs less client CPU (packing and parsing per command dominate redis-py's share).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence

from redis.exceptions import NoScriptError

# KEYS: the window counters, then (when a key use is recorded) the usage count and last-used
# hashes. ARGV: the number of counters, each counter's expiry in seconds, then the API key id
# and the time of use (or nothing). Returns the counters' new values in order.
_SCRIPT = """
local n = tonumber(ARGV[1])
local counts = {}
for i = 1, n do
  local value = redis.call('INCR', KEYS[i])
  if value == 1 then
    redis.call('EXPIRE', KEYS[i], ARGV[1 + i])
  end
  counts[i] = value
end
if ARGV[n + 2] then
  redis.call('HINCRBY', KEYS[n + 1], ARGV[n + 2], 1)
  redis.call('HSET', KEYS[n + 2], ARGV[n + 2], ARGV[n + 3])
end
return counts
"""
_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1


def bump(
    client,
    counters: Sequence[tuple[str, int]],
    usage_hashes: tuple[str, str] | None = None,
    api_key_id: uuid.UUID | None = None,
) -> list[int]:
    """Increment each ``(key, expiry seconds)`` counter and, with ``api_key_id``, count a use
    of that key in ``usage_hashes`` (count hash, last-used hash). Raises on Redis errors."""
    keys = [key for key, _ in counters]
    args: list = [len(counters), *(ttl for _, ttl in counters)]
    if api_key_id is not None and usage_hashes is not None:
        keys.extend(usage_hashes)
        args.extend((str(api_key_id), f"{time.time():.3f}"))
    try:
        result = client.evalsha(_SHA, len(keys), *keys, *args)
    except NoScriptError:
        result = client.eval(_SCRIPT, len(keys), *keys, *args)
    return [int(v) for v in result]
