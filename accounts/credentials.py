"""What authentication resolves a request to: ``request.auth`` is a :class:`Credential`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credential:
    account_id: uuid.UUID
    scopes: frozenset[str]
    kind: str  # "jwt" or "api_key"
    role: str | None = None  # the membership role, for JWTs
    api_key_id: uuid.UUID | None = None
    extra: dict = field(default_factory=dict, compare=False)


class ApiKeyUser:
    """``request.user`` for API-key requests: authenticated, but not a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True
    pk = None
    id = None

    def __init__(self, api_key_id: uuid.UUID) -> None:
        self.api_key_id = api_key_id

    def __str__(self) -> str:
        return f"api-key:{self.api_key_id}"
