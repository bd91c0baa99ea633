"""People: raters (human or LLM) and admins, and how they sign in: personal link tokens (only their SHA-256 is stored,
with an expiry) and username + scrypt password, with two roles, rater and admin.

A person's id is random and stable (`new_person_id`); their display name, in any script, lives beside it and is what
the app shows. A signed-in browser holds a sign-in token in a cookie (`start_sign_in`), stored as its SHA-256 with an
expiry like the link tokens, so a reload or a bookmark keeps the person signed in.

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
    "directory",
    "display_names",
    "end_sign_in",
    "new_person_id",
    "person_row",
    "revoke_sign_ins",
    "set_language",
    "sign_in_user",
    "start_sign_in",
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
SIGN_IN_TTL = dt.timedelta(days=7)  # how long a browser stays signed in without a new link or password
LANGS = ("en", "ko")
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
    lang: str | None = None  # the app language they last chose; None: the browser's

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
    """The ASCII letters and digits of a display name, as an id prefix: "Kim Minji" -> "kim-minji", "김민지" -> ""."""
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")[:24].strip("-")


def new_person_id(name: str = "") -> str:
    """A fresh id for a person: a readable prefix from the name's ASCII part (else "person") and 8 random hex digits,
    so two people get two ids whatever their names' script ("김민지" and "이준호", or two "Kim Minji")."""
    return f"{_slug(name) or 'person'}-{secrets.token_hex(4)}"


def person_row(
    name: str,
    *,
    role: str = "rater",
    password: str | None = None,
    kind: str = "human",
    user_id: str | None = None,
    with_token: bool = True,
    ttl: dt.timedelta = TOKEN_TTL,
) -> tuple[dict, str | None]:
    """The `raters` row for a new person and their personal link token (shown once, never stored); writes nothing,
    so a caller can add the row to a larger transaction (`sessions.open_session`)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if not name.strip():
        raise ValueError("a person needs a name")
    token = secrets.token_urlsafe(32) if with_token else None
    row = dict(
        id=user_id or new_person_id(name),
        name=name.strip(),
        kind=kind,
        role=role,
        token_hash=_token_hash(token) if token else None,
        token_expires_at=utcnow() + ttl if token else None,
        password_hash=hash_password(password) if password else None,
        created_at=utcnow(),
    )
    return row, token


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
    """Add a rater or admin (a random id unless `user_id` names one); returns the user and their personal link token
    (shown once, never stored)."""
    row, token = person_row(
        name, role=role, password=password, kind=kind, user_id=user_id, with_token=with_token, ttl=ttl
    )
    store.insert(schema.raters, [row])
    return User(row["id"], row["name"], role, kind), token


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
    return User(row.id, row.name, row.role, row.kind, row.lang)


def login_token(store: Store, token: str | None) -> User:
    """The user a link token belongs to; AuthError('forged') for an unknown token, ('expired') past its expiry."""
    if not token:
        raise AuthError("forged")
    t = schema.raters
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.token_hash == _token_hash(token))).first()
    if row is None:
        raise AuthError("forged")
    if _past(row.token_expires_at):
        raise AuthError("expired")
    return _user(row)


def _past(exp: dt.datetime | None) -> bool:
    if exp is None:
        return False
    if exp.tzinfo is None:  # SQLite drops the zone; we always write UTC
        exp = exp.replace(tzinfo=dt.timezone.utc)
    return exp <= utcnow()


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


def directory(store: Store, *, kind: str | None = "human") -> list[dict]:
    """The people directory: {id, name, role, kind, lang} of every person of one kind (None: all), by name."""
    t = schema.raters
    q = sa.select(t.c.id, t.c.name, t.c.role, t.c.kind, t.c.lang).order_by(t.c.name, t.c.id)
    if kind:
        q = q.where(t.c.kind == kind)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def display_names(store: Store) -> dict[str, str]:
    """{id: display name} for everyone (humans and LLM judges), to label tables and charts."""
    return {p["id"]: p["name"] for p in directory(store, kind=None)}


def set_language(store: Store, user_id: str, lang: str) -> None:
    """Remember the app language a person chose."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    with store.begin() as conn:
        conn.execute(schema.raters.update().where(schema.raters.c.id == user_id).values(lang=lang))


def start_sign_in(store: Store, user_id: str, *, ttl: dt.timedelta = SIGN_IN_TTL) -> str:
    """A new signed-in browser for this person: the random token its cookie holds (the store keeps its SHA-256)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    store.insert(
        schema.sign_ins, [dict(token_hash=_token_hash(token), rater_id=user_id, expires_at=now + ttl, created_at=now)]
    )
    return token


def sign_in_user(store: Store, token: str | None) -> User:
    """The person a sign-in cookie belongs to; AuthError('forged') for an unknown or ended one, ('expired') past it."""
    if not token:
        raise AuthError("forged")
    s, t = schema.sign_ins, schema.raters
    q = sa.select(t, s.c.expires_at).join(s, s.c.rater_id == t.c.id).where(s.c.token_hash == _token_hash(token))
    with store.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        raise AuthError("forged")
    if _past(row.expires_at):
        raise AuthError("expired")
    return _user(row)


def end_sign_in(store: Store, token: str | None) -> None:
    """Sign one browser out (its cookie stops working)."""
    if token:
        with store.begin() as conn:
            conn.execute(schema.sign_ins.delete().where(schema.sign_ins.c.token_hash == _token_hash(token)))


def revoke_sign_ins(store: Store, user_id: str) -> int:
    """Sign every browser of this person out (with a new personal link, the old one and its sign-ins end)."""
    with store.begin() as conn:
        return conn.execute(schema.sign_ins.delete().where(schema.sign_ins.c.rater_id == user_id)).rowcount


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
