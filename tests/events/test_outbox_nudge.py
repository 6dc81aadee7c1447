"""The drain nudge is debounced per process but never lost: a burst of commits gives one
immediate nudge and one trailing nudge after the interval."""

import time

from events.ingest.tasks import nudge_drain
from eventstream.core import outbox


def test_burst_of_commits_gives_one_immediate_and_one_trailing_nudge():
    calls = []
    debounced = outbox._Debouncer(0.1)
    outbox.set_nudge(lambda: calls.append(time.monotonic()))
    try:
        started = time.monotonic()
        for _ in range(50):
            debounced()
        assert len(calls) == 1
        time.sleep(0.3)
        assert len(calls) == 2
        assert calls[1] - started >= 0.09
    finally:
        outbox.set_nudge(nudge_drain)


def test_a_failing_nudge_is_swallowed(caplog):
    def broken():
        raise ConnectionError("broker down")

    outbox.set_nudge(broken)
    try:
        outbox._call_nudge()  # must not raise: the periodic drain catches up
    finally:
        outbox.set_nudge(nudge_drain)
