"""Secrets at rest: Fernet (AES-128-CBC + HMAC) from ``cryptography``, keyed by ``ENCRYPTION_KEY``.

``ENCRYPTION_KEY`` may list several keys separated by commas: the first encrypts, all decrypt, so a key can be
rotated without a migration.
"""
import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy.types import Text, TypeDecorator

_cache = {}


def _fernet():
    keys = current_app.config["ENCRYPTION_KEY"]
    if keys not in _cache:
        _cache[keys] = MultiFernet([Fernet(fernet_key(k.strip())) for k in keys.split(",") if k.strip()])
    return _cache[keys]


def fernet_key(key: str) -> str:
    """A Fernet key as given, or made from 64 hexadecimal characters (32 bytes: what a platform's generated secret,
    app.json's ``"generator": "secret"`` among them, gives)."""
    if len(key) == 64 and all(c in "0123456789abcdefABCDEF" for c in key):
        return base64.urlsafe_b64encode(bytes.fromhex(key)).decode()
    return key


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("a stored secret cannot be decrypted with ENCRYPTION_KEY") from exc


class EncryptedJSON(TypeDecorator):
    """A JSON value stored as one Fernet token; the column never holds plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(json.dumps(value))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(decrypt(value))


def mask(secret: str | None) -> str:
    """What a page or an audit entry may show of a secret: its last four characters."""
    if not secret:
        return ""
    return "•" * 8 + secret[-4:] if len(secret) > 8 else "•" * 8
