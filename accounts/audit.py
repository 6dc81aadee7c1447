"""The audit trail: one AuditLog row and one JSON log line per security-relevant action."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from accounts.client_ip import client_ip, user_agent
from accounts.models import AuditLog

log = structlog.get_logger("eventstream.audit")

USER_REGISTER = "user.register"
USER_LOGIN = "user.login"
USER_LOGIN_FAILED = "user.login_failed"
USER_LOGOUT = "user.logout"
USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105
USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested"  # noqa: S105
USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"
API_KEY_ROTATED = "api_key.rotated"
MEMBERSHIP_ROLE_CHANGED = "membership.role_changed"
MEMBERSHIP_CREATED = "membership.created"
MEMBERSHIP_DELETED = "membership.deleted"


def audit_record(
    *,
    action: str,
    request=None,
    account_id: uuid.UUID | None = None,
    actor=None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    actor_id = getattr(actor, "pk", None)
    ip = client_ip(request) if request is not None else None
    agent = user_agent(request) if request is not None else ""
    entry = AuditLog.objects.create(
        account_id=account_id,
        actor_id=actor_id,
        action=action,
        ip=ip if ip and ip != "0.0.0.0" else None,  # noqa: S104
        user_agent=agent,
        details=details or {},
    )
    log.info(
        "audit",
        action=action,
        account=str(account_id) if account_id else None,
        actor=actor_id,
        ip=entry.ip,
        user_agent=agent,
        details=details or {},
    )
    return entry
