"""Login sessions kept between processes: one encrypted file per account, in the state directory.

A session (an access and a refresh token) is a credential, so it is not put in the database,
which is shared, queried and backed up; it lives in `<state_dir>/sessions/`:

- the directory is 0700 and each file 0600 (the service user only; under systemd that is the
  unit's dynamic user, and `/var/lib/monitor` is already 0700);
- a file is written to a temporary name and renamed, so a reader never sees half of one;
- its content is encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from `cryptography`) under
  a key derived with scrypt from the account's own secret (the Bluesky app password) and a
  random salt kept beside it. A copy of the file (a backup, a disk image) is of no use without
  the secret, and a changed secret leaves the old file unreadable: the connector logs in again.

Reading never raises: a missing, unreadable or undecryptable file is "no session". Writing
failures are logged (the path and the reason, never the value) and the poll goes on: the next
process logs in again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

log = logging.getLogger(__name__)

VERSION = 1
SALT_BYTES = 16
SCRYPT_N = 2**14  # about 50 ms and 16 MB, once per process and file


class SessionVault:
    """Small encrypted values (sessions) under names, in one private directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._keys: dict[tuple[str, str, bytes], bytes] = {}  # (name, secret, salt) → key
        self._salts: dict[str, bytes] = {}  # the salt last read or written per name: derive once

    def path(self, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return self.directory / f"{safe}-{digest}.session"

    def _key(self, name: str, secret: str, salt: bytes) -> bytes:
        if (name, secret, salt) not in self._keys:
            raw = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(secret.encode())
            self._keys[(name, secret, salt)] = base64.urlsafe_b64encode(raw)
            self._salts[name] = salt
        return self._keys[(name, secret, salt)]

    def load(self, name: str, secret: str) -> str | None:
        """The value saved under `name`, or None (none saved, unreadable, or another secret's)."""
        path = self.path(name)
        try:
            mode = path.stat().st_mode
            data = json.loads(path.read_text(encoding="utf-8"))
            salt = base64.b64decode(data["salt"])
            token = str(data["token"]).encode()
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')!r}")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring the saved session %s: %s", path, exc.__class__.__name__)
            return None
        if stat.S_IMODE(mode) & 0o077:
            log.warning("the saved session %s was readable by others; made it 0600", path)
            with contextlib.suppress(OSError):
                path.chmod(0o600)
        try:
            return Fernet(self._key(name, secret, salt)).decrypt(token).decode()
        except (InvalidToken, ValueError):
            log.info("the saved session %s was made with another secret; logging in again", path)
            return None

    def save(self, name: str, secret: str, value: str) -> None:
        """Encrypt and write `value` under `name` (0600, in a 0700 directory), atomically."""
        path = self.path(name)
        salt = self._salts.get(name) or os.urandom(SALT_BYTES)  # Fernet adds a fresh IV each time
        token = Fernet(self._key(name, secret, salt)).encrypt(value.encode())
        body = json.dumps(
            {"version": VERSION, "salt": base64.b64encode(salt).decode(), "token": token.decode()}
        )
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self._private_directory()
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(temporary, flags, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o600)  # an existing temporary file keeps its mode: set it
            os.replace(temporary, path)
        except OSError as exc:
            log.warning(
                "cannot save the session in %s (%s); the next process will log in again",
                path,
                exc.strerror or exc.__class__.__name__,
            )
            with contextlib.suppress(OSError):
                temporary.unlink()

    def forget(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()

    def _private_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(self.directory.stat().st_mode) != 0o700:
            self.directory.chmod(0o700)
