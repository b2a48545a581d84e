"""Encrypting what the bot must keep but nobody may read back (a server's own video API key), with a key from
the environment (SERVER_KEY_SECRET). Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`): each
ciphertext is authenticated, so a changed row or a wrong secret is detected, never decrypted into garbage."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

GENERATE_HINT = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SecretBoxError(Exception):
    """A ciphertext that this secret cannot open (the secret changed, or the row was altered)."""


def is_valid_secret(secret: str) -> bool:
    """Whether `secret` is a Fernet key (32 bytes, URL-safe base64), as GENERATE_HINT prints one."""
    try:
        Fernet(secret.encode())
    except (ValueError, TypeError):
        return False
    return True


class SecretBox:
    """Seals and opens short secrets with one key."""

    __slots__ = ("_fernet",)

    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(secret.encode())

    def __repr__(self) -> str:
        return "SecretBox(********)"

    def seal(self, plaintext: str) -> str:
        """The ciphertext (ASCII) of `plaintext`; a different one every time."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, ciphertext: str) -> str:
        """The plaintext; SecretBoxError if this key did not seal it or it was changed."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretBoxError("the ciphertext does not open with this secret") from exc
