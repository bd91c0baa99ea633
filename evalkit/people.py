"""People: raters (human or LLM) and admins, and how they sign in: personal link tokens (only their SHA-256 is stored,
with an expiry) and username + scrypt password, with two roles, rater and admin.

The CLI (`evalkit app` issues the admin link), the tournament and the rating app all call these; organisations can
put Streamlit's OIDC `st.login` in front of the app instead of tokens and passwords."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from workbench.store import Store, schema, utcnow

__all__ = [
    "AuthError",
    "admin_token",
    "User",
    "create_user",
    "issue_token",
    "login_token",
    "login_password",
    "find_user",
    "user_ids",
    "hash_password",
    "check_password",
    "require_role",
    "ROLES",
]

ROLES = ("rater", "admin")
TOKEN_TTL = dt.timedelta(days=14)
# scrypt cost: n=2**14, r=8, p=1 is the interactive-login setting in RFC 7914 section 2 (16 MiB, ~50 ms).
_SCRYPT = dict(n=2**14, r=8, p=1)


class AuthError(Exception):
    """A refused login or page: `reason` is a message-catalogue key (forged, expired, bad_password, forbidden)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class User:
    """A row of `raters` as the app sees it (no secrets)."""

    id: str
    name: str
    role: str
    kind: str = "human"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no salt/stretching needed, unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$digest`: the parameters travel with the hash, so raising the cost later keeps old ones."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches a `hash_password` string (constant-time compare); False for no password set."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), digest)


def _slug(name: str) -> str:
    """A user id from a display name: "Kim Minji" -> "kim-minji"."""
    return re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-") or "rater"


def create_user(
    store: Store,
    name: str,
    *,
    role: str = "rater",
    password: str | None = None,
    kind: str = "human",
    user_id: str | None = None,
    with_token: bool = True,
    ttl: dt.timedelta = TOKEN_TTL,
) -> tuple[User, str | None]:
    """Add a rater or admin; returns the user and their personal link token (shown once, never stored)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    uid = user_id or _slug(name)
    token = secrets.token_urlsafe(32) if with_token else None
    store.insert(
        schema.raters,
        [
            dict(
                id=uid,
                name=name,
                kind=kind,
                role=role,
                token_hash=_token_hash(token) if token else None,
                token_expires_at=utcnow() + ttl if token else None,
                password_hash=hash_password(password) if password else None,
            )
        ],
    )
    return User(uid, name, role, kind), token


def issue_token(store: Store, user_id: str, *, ttl: dt.timedelta = TOKEN_TTL) -> str:
    """A fresh personal link token for an existing user (the previous one stops working)."""
    token = secrets.token_urlsafe(32)
    with store.begin() as conn:
        n = conn.execute(
            schema.raters.update()
            .where(schema.raters.c.id == user_id)
            .values(token_hash=_token_hash(token), token_expires_at=utcnow() + ttl)
        ).rowcount
    if not n:
        raise KeyError(user_id)
    return token


def _user(row) -> User:
    return User(row.id, row.name, row.role, row.kind)


def login_token(store: Store, token: str | None) -> User:
    """The user a link token belongs to; AuthError('forged') for an unknown token, ('expired') past its expiry."""
    if not token:
        raise AuthError("forged")
    t = schema.raters
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.token_hash == _token_hash(token))).first()
    if row is None:
        raise AuthError("forged")
    exp = row.token_expires_at
    if exp is not None:
        if exp.tzinfo is None:  # SQLite drops the zone; we always write UTC
            exp = exp.replace(tzinfo=dt.timezone.utc)
        if exp <= utcnow():
            raise AuthError("expired")
    return _user(row)


def login_password(store: Store, username: str, password: str) -> User:
    """The user with this id and password; AuthError('bad_password') otherwise."""
    t = schema.raters
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == username)).first()
    # Same answer for an unknown user and a wrong password, so names can't be probed.
    if row is None or not check_password(password, row.password_hash):
        raise AuthError("bad_password")
    return _user(row)


def find_user(store: Store, user_id: str) -> User:
    """The user with this id (for OIDC: their e-mail address); AuthError('not_invited') when there is none."""
    t = schema.raters
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == user_id)).first() if user_id else None
    if row is None:
        raise AuthError("not_invited")
    return _user(row)


def user_ids(store: Store, *, kind: str = "human") -> list[str]:
    """Ids of every user of one kind (human or llm), sorted."""
    t = schema.raters
    with store.engine.connect() as conn:
        return [r for (r,) in conn.execute(sa.select(t.c.id).where(t.c.kind == kind).order_by(t.c.id))]


def require_role(user: User | None, role: str) -> User:
    """The user if they hold `role` (admins hold every role); AuthError('forbidden') otherwise."""
    if user is None:
        raise AuthError("login_required")
    if role == "admin" and not user.is_admin:
        raise AuthError("forbidden")
    return user


def admin_token(store: Store, *, ttl: dt.timedelta = TOKEN_TTL) -> str:
    """A fresh link token for the `admin` user (created on first use); the previous admin link stops working."""
    try:
        return issue_token(store, "admin", ttl=ttl)
    except KeyError:
        return create_user(store, "Admin", role="admin", user_id="admin", ttl=ttl)[1]
