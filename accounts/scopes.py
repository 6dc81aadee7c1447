"""Scopes of API keys and what each membership role may do with a JWT."""

EVENTS_WRITE = "events:write"
EVENTS_READ = "events:read"
EXPORT_READ = "export:read"
WEBHOOKS_READ = "webhooks:read"
WEBHOOKS_WRITE = "webhooks:write"
KEYS_MANAGE = "keys:manage"  # JWT-only: API keys cannot manage keys

API_KEY_SCOPES = frozenset({EVENTS_WRITE, EVENTS_READ, EXPORT_READ, WEBHOOKS_READ, WEBHOOKS_WRITE})
_READ = frozenset({EVENTS_READ, EXPORT_READ, WEBHOOKS_READ})

ROLE_SCOPES = {
    "viewer": _READ,
    "member": _READ | {EVENTS_WRITE},
    "admin": _READ | {EVENTS_WRITE, WEBHOOKS_WRITE, KEYS_MANAGE},
    "owner": _READ | {EVENTS_WRITE, WEBHOOKS_WRITE, KEYS_MANAGE},
}
