"""API key secrets: generation and hashing. Keys look like ``esk_<43 url-safe chars>``."""

import hashlib
import secrets

KEY_PREFIX = "esk_"
DISPLAY_PREFIX_LEN = 12  # "esk_" + 8 characters, shown in lists and logs


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX) and 20 <= len(value) <= 128
