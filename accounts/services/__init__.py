"""Writes for the accounts app (``<entity>_<action>``, keyword-only)."""

from accounts.services.api_keys import api_key_create, api_key_revoke, api_key_rotate
from accounts.services.memberships import membership_set_role
from accounts.services.passwords import (
    password_reset_confirm,
    password_reset_request,
    user_change_password,
)
from accounts.services.sessions import session_logout, session_refresh, user_login
from accounts.services.users import user_register

__all__ = [
    "api_key_create",
    "api_key_revoke",
    "api_key_rotate",
    "membership_set_role",
    "password_reset_confirm",
    "password_reset_request",
    "session_logout",
    "session_refresh",
    "user_change_password",
    "user_login",
    "user_register",
]
