"""2xx only after commit: a database outage is a 503 with nothing stored; the outbox hand-off
survives a broker outage and is processed by the real Celery worker."""

import socket
import time

import pytest
from django.db import connection, connections
from kombu import Connection

from events.ingest.selectors import batch_events
from events.ingest.tasks import nudge_drain, outbox_drain_task
from eventstream.core import outbox
from tests.events.ingest_helpers import count_events, event, outbox_rows

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = ("events", "event_client_ids", "event_idempotency_keys", "outbox")


@pytest.fixture(autouse=True)
def _clean_ingest_tables(request, account):
    """Committed rows of these unmanaged tables are not flushed by Django: delete this test's
    (its account's) rows, and leave other tests' data alone."""
    yield
    connection.close()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE account_id = %s", [account.id])


@pytest.fixture
def kill_backend_on_outbox_insert():
    """A trigger that terminates the inserting backend: the connection dies after the events
    were written and before the commit, as in a database crash mid-request."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_kill_self() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END$$;"
            " CREATE TRIGGER test_kill_self BEFORE INSERT ON outbox"
            " FOR EACH ROW EXECUTE FUNCTION test_kill_self();"
        )
    yield
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS test_kill_self ON outbox;"
            " DROP FUNCTION IF EXISTS test_kill_self();"
        )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.usefixtures("kill_backend_on_outbox_insert")
@pytest.mark.parametrize(
    "path, body", [("/api/events/batch", [event()] * 20), ("/api/events", event())]
)
def test_connection_lost_mid_request_is_503_and_stores_nothing(key_client, account, path, body):
    response = key_client.post(path, body, format="json")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["error"] == "DATABASE_ERROR"
    connection.close()
    assert count_events(account.id) == 0
    assert outbox_rows(account_id=account.id) == []


def test_database_unreachable_is_503_with_retry_after(key_client, account):
    settings = connections["default"].settings_dict
    host, port = settings["HOST"], settings["PORT"]
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", _closed_port()
    try:
        response = key_client.post("/api/events/batch", [event()], format="json")
    finally:
        connection.close()
        settings["HOST"], settings["PORT"] = host, port

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["statusCode"] == 503
    assert count_events(account.id) == 0


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.fixture
def received():
    seen: list = []
    outbox.register_consumer("events.ingested", "test-recorder", seen.extend)
    yield seen
    outbox.unregister_consumer("events.ingested", "test-recorder")


def test_committed_batch_is_handed_to_the_worker_after_commit(
    celery_worker_for_tests, key_client, account, received
):
    response = key_client.post("/api/events/batch", [event()] * 3, format="json")
    assert response.status_code == 201

    entries = _wait_for(lambda: [e for e in received if e.payload["account_id"] == str(account.id)])
    assert len(entries) == 1
    assert entries[0].payload["count"] == 3
    stored = batch_events(entries[0].payload)
    assert sorted(e["id"] for e in stored) == sorted(r["id"] for r in response.json()["results"])
    assert stored[0]["data"] == event()["data"]
    assert _wait_for(lambda: outbox_rows("events.ingested", account.id)[0][4] is not None)


def test_batch_committed_while_the_broker_is_down_is_processed_by_the_periodic_drain(
    celery_worker_for_tests, key_client, account, received
):
    dead_broker = f"redis://127.0.0.1:{_closed_port()}/0"

    def nudge_to_dead_broker():
        with Connection(dead_broker, connect_timeout=1) as conn:
            outbox_drain_task.apply_async(connection=conn, retry=False)

    outbox.set_nudge(nudge_to_dead_broker)
    try:
        response = key_client.post("/api/events/batch", [event()] * 2, format="json")
        assert response.status_code == 201  # committed: the failed nudge does not fail it
        time.sleep(1.0)
        assert outbox_rows("events.ingested", account.id)[0][4] is None
        assert [e for e in received if e.account_id == account.id] == []
    finally:
        outbox.set_nudge(nudge_drain)

    outbox_drain_task.apply_async()  # what beat sends every 15 s

    entries = _wait_for(lambda: [e for e in received if e.account_id == account.id])
    assert [e.payload["count"] for e in entries] == [2]
    assert _wait_for(lambda: outbox_rows("events.ingested", account.id)[0][4] is not None)


def test_failing_consumer_leaves_the_row_pending_for_a_retry(account):
    calls = []

    def flaky(entries):
        calls.append(len(entries))
        if len(calls) == 1:
            raise RuntimeError("downstream down")

    outbox.register_consumer("test.topic", "flaky", flaky)
    try:
        from django.db import transaction

        with transaction.atomic():
            outbox.outbox_put(topic="test.topic", payload={"n": 1}, account_id=account.id)
        assert outbox.outbox_drain() == 0
        row = outbox_rows("test.topic", account.id)[0]
        assert row[4] is None
        assert outbox.outbox_drain() == 1
        assert outbox_rows("test.topic", account.id)[0][4] is not None
        assert calls == [1, 1]
    finally:
        outbox.unregister_consumer("test.topic", "flaky")
