"""Accounts: a users file with argon2 password hashes, admins named in settings, each user's department.

The file is JSON (`{"users": [{"name", "password_hash", "department"}]}`), written atomically with mode 0600
by `coach users add|remove`, and re-read when it changes, so every running instance sees a new account
without a restart. A reverse proxy that signs people in (SSO) can be trusted instead through
COACH_IDENTITY_HEADER; its users need no password here, only a department if insights should group them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import CoachInputError, ConfigError
from coach.models import MAX_NAME_CHARS

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8


class UserRecord(BaseModel):
    """One account; the password is only ever stored as an argon2id hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=USER_NAME.pattern)
    password_hash: str | None = None
    department: str | None = Field(default=None, max_length=MAX_NAME_CHARS)


class UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[UserRecord] = []


def check_name(name: str) -> str:
    if not USER_NAME.match(name):
        raise CoachInputError(
            f"User name {name!r} is not allowed: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


class UserDirectory:
    """The accounts of one deployment: who may sign in, who is an admin, which department each is in."""

    def __init__(
        self,
        path: Path,
        *,
        admins: Iterable[str] = (),
        extra: dict[str, str] | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.path = path
        self.admins = frozenset(admins)
        self._hasher = hasher or PasswordHasher()
        self._extra = {name: self._hasher.hash(password) for name, password in (extra or {}).items()}
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, UserRecord] = {}
        self._dummy = self._hasher.hash("not a password")

    # --- reading

    def users(self) -> dict[str, UserRecord]:
        """The accounts in the file (re-read when the file changed since the last look)."""
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._stamp, self._users = None, {}
                return {}
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                self._users = {u.name: u for u in _read(self.path).users}
                self._stamp = stamp
            return dict(self._users)

    @property
    def has_accounts(self) -> bool:
        return bool(self._extra) or any(u.password_hash for u in self.users().values())

    def verify(self, name: str, password: str) -> bool:
        """Whether the password is right; unknown names cost the same time as wrong passwords."""
        record = self.users().get(name)
        stored = self._extra.get(name) or (record.password_hash if record else None)
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def department(self, name: str) -> str | None:
        record = self.users().get(name)
        return record.department if record else None

    def is_admin(self, name: str | None) -> bool:
        return bool(name) and name in self.admins

    # --- writing (the `coach users` command)

    def add(self, name: str, password: str | None, department: str | None = None) -> UserRecord:
        """Create or update an account; a None password keeps the current one (or none, for SSO users)."""
        check_name(name)
        if password is not None and len(password) < MIN_PASSWORD:
            raise CoachInputError(f"Passwords need at least {MIN_PASSWORD} characters.")
        current = _read(self.path).users if self.path.exists() else []
        old = next((u for u in current if u.name == name), None)
        hashed = self._hasher.hash(password) if password is not None else (old.password_hash if old else None)
        department = department if department is not None else (old.department if old else None)
        record = UserRecord(name=name, password_hash=hashed, department=department or None)
        _write(self.path, [*(u for u in current if u.name != name), record])
        return record

    def remove(self, name: str) -> bool:
        current = _read(self.path).users if self.path.exists() else []
        kept = [u for u in current if u.name != name]
        if len(kept) == len(current):
            return False
        _write(self.path, kept)
        return True


def _read(path: Path) -> UsersFile:
    try:
        return UsersFile.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return UsersFile()
    except (OSError, ValidationError, ValueError) as exc:
        raise ConfigError(
            f"The users file {path} cannot be read ({str(exc).splitlines()[0]}); fix it or recreate it with "
            "`coach users add NAME`"
        ) from exc


def _write(path: Path, users: list[UserRecord]) -> None:
    """Replace the file atomically, readable by its owner only (it holds password hashes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(UsersFile(users=sorted(users, key=lambda u: u.name)).model_dump(), indent=2) + "\n"
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
