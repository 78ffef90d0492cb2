"""Access control for the station's web frontend.

* **Access token.** Each server run makes a random token, printed once at start. The
  login page asks for it (and for an operator name and password when the store defines
  operators); a successful login gets an ``HttpOnly; SameSite=Strict`` session cookie.
  Scripts may instead send ``Authorization: Bearer <token>``.
* **CSRF.** Every state-changing request (any method but GET/HEAD) from a browser
  session must carry the session's CSRF token in the ``X-CSRF-Token`` header *and* an
  ``Origin`` (or ``Referer``) equal to the server's own origin. (The login form's
  ``csrf`` field carries the separate pre-login token, checked against its cookie.)
  WebSocket upgrades are checked for the origin too. Bearer requests are exempt from
  the CSRF token (a browser cannot attach that header cross-site) but not from the
  origin check when they carry an ``Origin``.
* **Headers.** A strict content-security policy (no inline script or style, nothing
  from another origin, no framing), ``nosniff``, ``same-origin`` referrers
  (``no-referrer`` would make Chromium send ``Origin: null`` on form posts), ``no-store``,
  on every response, errors included.
* **Host.** A request whose ``Host`` is not a loopback name (``127.0.0.1``,
  ``localhost``, ``[::1]``) or one the server was told it is published under is refused
  (400, :func:`host_allowed`), before the origin check that compares with it.
* **Bodies.** A request body over :data:`MAX_BODY` is refused (413) while it streams in;
  a JSON body over :data:`MAX_JSON_BODY`, not valid JSON, nested too deeply or not an
  object is a 400 (:func:`read_json_object`), never a 500. An exception escaping a
  route is a 500 naming nothing (logged by class name only: it may quote personal data).

**Login.** The access token is checked first: a wrong token costs no password hash, so
nothing about operator names can be learnt without it. With the right token, a password
is hashed in a worker thread (at most :data:`HASH_SLOTS` at once, never on the event
loop), and an unknown operator name is hashed against a dummy entry of the same cost,
so known and unknown names take the same time. :class:`LoginThrottle` refuses a client
(429) after :data:`LOGIN_FAILURES` failed logins within :data:`LOGIN_WINDOW_S` seconds.

Operators live in the store setting ``operators``: ``{name: {"argon2": "$argon2id$..."}}``
(Argon2id through argon2-cffi, memory-hard; :func:`operator_entry` makes one). Entries of
earlier releases, ``{"salt": hex, "hash": hex, "iterations": n}`` (PBKDF2-HMAC-SHA256),
still verify; :func:`needs_new_entry` says when one should be replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_

__all__ = [
    "HASH_SLOTS",
    "LOGIN_FAILURES",
    "LOGIN_WINDOW_S",
    "LOOPBACK_HOSTS",
    "MAX_BODY",
    "MAX_JSON_BODY",
    "SESSION_COOKIE",
    "Authenticator",
    "BadRequest",
    "LoginThrottle",
    "WebSession",
    "content_security_policy",
    "host_allowed",
    "is_loopback",
    "needs_new_entry",
    "operator_entry",
    "read_json_object",
    "verify_operator",
    "verify_operator_timed",
]

SESSION_COOKIE = "idc_session"
PRELOGIN_COOKIE = "idc_pre"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: largest request body of any route (the login form, JSON actions)
MAX_BODY = 256 * 1024
#: largest JSON body a route parses (the API sends a few hundred bytes)
MAX_JSON_BODY = 64 * 1024


#: Host header names always accepted (the loopback interface)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def host_allowed(host: str, extra: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether a ``Host`` header (port removed) names this server: a loopback name or
    one of ``extra`` (the names it is published under). Refusing every other name stops
    DNS rebinding: a page on ``evil.example`` resolved to 127.0.0.1 sends
    ``Host: evil.example``."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[:name.find("]") + 1] if "]" in name else ""
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return bool(name) and (name in LOOPBACK_HOSTS or name in extra)


def is_loopback(address: str) -> bool:
    """Whether a bind address is on the loopback interface only."""
    import ipaddress

    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


class BadRequest(Exception):
    """A request the server refuses (``status`` 400 or 413); the message names no data."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def read_json_object(request: Any, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The JSON object a request carries; ``{}`` when it carries no JSON (no JSON
    content type, or an empty body). Raises :class:`BadRequest` for a body over
    ``limit`` bytes (413), not valid or too deeply nested JSON, or not an object."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return {}
    declared = request.headers.get("content-length", "")
    too_large = N_("JSON body larger than {limit} bytes").format(limit=limit)
    if declared.isdigit() and int(declared) > limit:
        raise BadRequest(too_large, 413)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise BadRequest(too_large, 413)
    if not buf.strip():
        return {}
    try:
        data = json.loads(bytes(buf))
    except (ValueError, RecursionError):
        raise BadRequest(N_("body is not valid JSON (or is nested too deeply)")) from None
    if not isinstance(data, dict):
        raise BadRequest(N_("body must be a JSON object"))
    return data


def operator_entry(password: str, *, time_cost: int = 3, memory_kib: int = 65536,
                   parallelism: int = 4) -> dict[str, Any]:
    """The stored form of an operator password (for the store setting ``operators``):
    an Argon2id hash with argon2-cffi's default cost (3 passes over 64 MiB)."""
    from argon2 import PasswordHasher

    if not password:
        raise ValueError("an operator password must not be empty")
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                            parallelism=parallelism)
    return {"argon2": hasher.hash(password)}


def needs_new_entry(entry: Any) -> bool:
    """Whether a stored entry predates the current hash (PBKDF2) or its cost."""
    from argon2 import PasswordHasher

    if not isinstance(entry, dict) or not isinstance(entry.get("argon2"), str):
        return True
    try:
        return bool(PasswordHasher().check_needs_rehash(entry["argon2"]))
    except Exception:  # an unreadable hash string
        return True


def verify_operator(entry: Any, password: str) -> bool:
    """Whether ``password`` matches a stored :func:`operator_entry` (or a PBKDF2 entry of
    an earlier release)."""
    if isinstance(entry, dict) and "argon2" in entry:
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return bool(PasswordHasher().verify(str(entry["argon2"]), password))
        except (VerificationError, InvalidHashError):
            return False
    try:
        salt = bytes.fromhex(entry["salt"])
        want = bytes.fromhex(entry["hash"])
        n = int(entry["iterations"])
    except (KeyError, TypeError, ValueError):
        return False
    got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, n)
    return hmac.compare_digest(got, want)


_DUMMY: dict[str, Any] = {}


def verify_operator_timed(operators: dict[str, Any], name: str, password: str) -> bool:
    """Whether ``name`` is an operator with ``password``; an unknown name costs the same
    hash as a known one (against a dummy entry), so timing tells the two apart no more."""
    entry = operators.get(name)
    if entry is not None:
        return verify_operator(entry, password)
    if not _DUMMY:
        _DUMMY.update(operator_entry(secrets.token_hex(16)))
    verify_operator(_DUMMY, password)
    return False


#: password hashes computed at once (each about 0.1-0.2 s and 64 MiB)
HASH_SLOTS = 2
#: failed logins a client may make within :data:`LOGIN_WINDOW_S` before it is refused
LOGIN_FAILURES = 5
LOGIN_WINDOW_S = 60.0


class LoginThrottle:
    """Failed logins per client (its address): after ``limit`` within ``window_s``
    seconds, the client is refused until the oldest of them is ``window_s`` old."""

    def __init__(self, limit: int = LOGIN_FAILURES, window_s: float = LOGIN_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds ``client`` must wait before trying again (0: it may try now)."""
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < self.window_s]
            if recent:
                self._failures[client] = recent
            else:
                self._failures.pop(client, None)
            if len(recent) < self.limit:
                return 0.0
            return self.window_s - (now - recent[0])

    def failed(self, client: str) -> None:
        with self._lock:
            if len(self._failures) > 10_000:  # bounded memory under a flood of addresses
                self._failures.clear()
            self._failures.setdefault(client, []).append(self.clock())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def content_security_policy() -> str:
    """The page policy: everything from this origin only, no inline code, no framing."""
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: "
            "data:; connect-src 'self'; font-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


@dataclass
class WebSession:
    """A logged-in browser."""

    sid: str
    csrf: str
    operator: str
    created: float = field(default_factory=time.time)


class Authenticator:
    """The per-run token, the browser sessions and the checks of each request."""

    def __init__(self, token: str | None = None, session_ttl_s: float = 12 * 3600) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self.session_ttl_s = session_ttl_s
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()
        self.failures = 0

    def token_ok(self, presented: str) -> bool:
        ok = hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8"))
        if not ok:
            self.failures += 1
        return ok

    def new_session(self, operator: str) -> WebSession:
        s = WebSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), operator)
        with self._lock:
            self._sessions[s.sid] = s
        return s

    def session(self, sid: str | None) -> WebSession | None:
        if not sid:
            return None
        with self._lock:
            s = self._sessions.get(sid)
            if s is not None and time.time() - s.created > self.session_ttl_s:
                del self._sessions[sid]
                return None
            return s

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def bearer_ok(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("bearer "):
            return False
        return self.token_ok(header[7:].strip())


def same_origin(headers: Any, scheme: str, host: str) -> bool:
    """Whether the request's ``Origin`` (or ``Referer``) is this server's origin."""
    own = f"{scheme}://{host}"
    origin = headers.get("origin")
    if origin is not None:
        return bool(origin == own)
    referer = headers.get("referer")
    if referer is not None:
        return bool(referer == own or referer.startswith(own + "/"))
    return False


def csrf_ok(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), str(presented).encode())
