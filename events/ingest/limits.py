"""Documented limits of ingestion (docs/ingestion.md lists them for users)."""

MAX_BATCH_EVENTS = 1000
MAX_BATCH_BODY_BYTES = 5 * 1024 * 1024  # after gzip inflation
MAX_SINGLE_BODY_BYTES = 64 * 1024
MAX_JSON_BYTES = 32 * 1024  # data + metadata of one event, as sent
MAX_DEPTH = 10  # nesting of objects/arrays inside data or metadata (the object itself is 1)
MAX_NAME_LEN = 128  # eventType, source
MAX_ID_LEN = 256  # userId, sessionId
MAX_STATUS_LEN = 32
MAX_TAGS = 32
MAX_TAG_LEN = 64
MIN_PRIORITY, MAX_PRIORITY = 0, 10
MAX_DURATION_MS = 365 * 24 * 3600 * 1000.0
MAX_PAST_DAYS = 5 * 365  # a timestamp may be up to ~5 years old
MAX_FUTURE_DAYS = 30  # and up to 30 days ahead of the server clock
MAX_IDEMPOTENCY_KEY_LEN = 255
IDEMPOTENCY_TTL_HOURS = 24
DEFAULT_STATUS = "received"
