"""Personal-data encryption at rest and keyed-hash lookup (DESIGN.md rule 3).

Values are sealed with AES-256-GCM (an authenticated cipher) and stored as
``v1:<key id>:<base64(nonce || ciphertext)>``, so a value names the key that
sealed it and a key rotation can run row by row. Exact lookup never touches
plaintext: a separate HMAC-SHA256 key turns a normalised value into a
``blind index`` stored beside the ciphertext.

Keys come from ``ANJU_DATA_KEYS`` (JSON) or from a key file outside the
database (``settings.DATA_KEY_FILE``). The embedded setup creates the file on
first use; production refuses to start without one of the two.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


class DecryptionError(Exception):
    """A stored value could not be opened: wrong key, unknown key id or tampering."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]
    hash_key: bytes

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError as exc:
            raise DecryptionError(f"unknown data key id {key_id!r}") from exc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def new_key_material() -> str:
    return _b64(AESGCM.generate_key(bit_length=256))


def _parse(doc: dict[str, object], source: str) -> Keyring:
    try:
        keys = {str(k): _unb64(str(v)) for k, v in dict(doc["keys"]).items()}  # type: ignore[call-overload]
        current = str(doc["current"])
        hash_key = _unb64(str(doc["hash_key"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"Data keys in {source} are malformed: {exc}") from exc
    if current not in keys:
        raise ImproperlyConfigured(f"Data keys in {source}: current key {current!r} is not among the keys.")
    if any(len(k) != 32 for k in keys.values()) or len(hash_key) < 32:
        raise ImproperlyConfigured(f"Data keys in {source}: every key must be 32 bytes.")
    return Keyring(current=current, keys=keys, hash_key=hash_key)


def key_file_path() -> Path:
    return Path(settings.DATA_KEY_FILE)


def write_key_file(doc: dict[str, object], path: Path | None = None) -> None:
    path = path or key_file_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, path)
    keyring.cache_clear()


def read_key_document() -> dict[str, object]:
    raw = os.environ.get("ANJU_DATA_KEYS")
    if raw:
        return dict(json.loads(raw))
    path = key_file_path()
    if path.exists():
        return dict(json.loads(path.read_text()))
    if settings.PRODUCTION:
        raise ImproperlyConfigured("No data keys: set ANJU_DATA_KEYS or provide ANJU_DATA_KEY_FILE.")
    doc: dict[str, object] = {
        "current": "k1",
        "keys": {"k1": new_key_material()},
        "hash_key": _b64(secrets.token_bytes(32)),
    }
    write_key_file(doc, path)
    return doc


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    source = "ANJU_DATA_KEYS" if os.environ.get("ANJU_DATA_KEYS") else str(key_file_path())
    return _parse(read_key_document(), source)


def encrypt(plaintext: str, *, key_id: str | None = None) -> str:
    ring = keyring()
    kid = key_id or ring.current
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(ring.key(kid)).encrypt(nonce, plaintext.encode("utf-8"), kid.encode("ascii"))
    return f"{PREFIX}:{kid}:{_b64(nonce + sealed)}"


def key_id_of(token: str) -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an Anju sealed value")
    return parts[1]


def decrypt(token: str) -> str:
    kid = key_id_of(token)
    blob = _unb64(token.split(":", 2)[2])
    try:
        return AESGCM(keyring().key(kid)).decrypt(blob[:12], blob[12:], kid.encode("ascii")).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("sealed value failed authentication") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of an already-normalised value, separated by purpose."""
    mac = hmac.new(keyring().hash_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def rotate_key_file(path: Path | None = None) -> str:
    """Add a fresh data key to the key file and make it current; returns its id.

    The old keys stay (values sealed with them keep opening until they are
    re-sealed) and the hash key is unchanged, so every blind index stays valid.
    """
    if os.environ.get("ANJU_DATA_KEYS"):
        raise ImproperlyConfigured(
            "The data keys come from ANJU_DATA_KEYS: add a new key there, make it current, "
            "then run `anju rotate_keys --reseal-only`."
        )
    doc = read_key_document()
    ring = _parse(doc, str(path or key_file_path()))
    number = 1
    while f"k{number}" in ring.keys:
        number += 1
    new_id = f"k{number}"
    keys = {kid: _b64(material) for kid, material in ring.keys.items()}
    keys[new_id] = new_key_material()
    write_key_file({"current": new_id, "keys": keys, "hash_key": _b64(ring.hash_key)}, path)
    return new_id


def reseal(token: str) -> str | None:
    """The value sealed again under the current key, or ``None`` when it already is."""
    if not token or key_id_of(token) == keyring().current:
        return None
    return encrypt(decrypt(token))
