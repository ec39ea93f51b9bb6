"""Guards for the dashboard's writes: same-origin POSTs only, and a CSRF token per browser.

The alert actions (acknowledge, resolve, dismiss, reopen, the checklist) are
Dash callbacks, i.e. POSTs to `/_dash-update-component`. Two independent
checks keep another site from making an analyst's browser perform them:

- every POST whose `Origin` (or, without one, `Referer`) names another origin
  is refused with 403 before Dash sees it (`Origin: null` counts as foreign);
- each browser gets a random cookie (HttpOnly, SameSite=Strict) and the page
  layout carries `token = HMAC-SHA256(server secret, cookie)`; an action
  callback sends the token back as State and `refusal(token)` compares it with
  the cookie of the very request (`hmac.compare_digest`). A page from another
  origin can read neither the cookie nor the token.

The secret is generated when the app is built, so a restart invalidates the
tokens of open pages: reloading the page fetches a fresh one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, has_request_context, request

from dashboard.i18n import N_

COOKIE = "threatmon_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Interface messages: marked for the catalogs, translated where shown (`t(refusal)`).
BAD_TOKEN = N_(
    "Refused: this page's security token is missing or out of date "
    "(the dashboard may have restarted). Reload the page and try again."
)
FOREIGN_ORIGIN = "Refused: a state-changing request from another origin."  # an HTTP 403 body


@dataclass(frozen=True)
class CsrfGuard:
    """Issues and checks the tokens; `secret` is random per app unless a test fixes it."""

    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def token_for(self, cookie: str) -> str:
        return hmac.new(self.secret, cookie.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: object) -> bool:
        """True when `token` is this server's token for `cookie` (constant-time compare)."""
        if not cookie or not isinstance(token, str) or not token:
            return False
        return hmac.compare_digest(self.token_for(cookie), token)


def _origin(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def foreign_origin(headers: Any, own_scheme: str, own_host: str) -> bool:
    """Does the request say it comes from another origin than (own_scheme, own_host)?

    `Origin` decides when present (`null`, sent by sandboxed and some
    cross-site contexts, is foreign); otherwise `Referer`; with neither, the
    request is not judged here (the token still is).
    """
    own = (own_scheme.lower(), own_host.lower())
    origin = headers.get("Origin")
    if origin is not None:
        return _origin(origin) != own
    referer = headers.get("Referer")
    if referer:
        return _origin(referer) != own
    return False


def install(server: Flask, guard: CsrfGuard) -> None:
    """Refuse foreign-origin writes and give every browser its CSRF cookie."""

    @server.before_request
    def check_origin() -> Any:
        if request.method in UNSAFE_METHODS and foreign_origin(
            request.headers, request.scheme, request.host
        ):
            return Response(FOREIGN_ORIGIN, status=403, mimetype="text/plain")
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            g.csrf_new_cookie = cookie = secrets.token_urlsafe(32)
        g.csrf_cookie = cookie
        return None

    @server.after_request
    def set_cookie(response: Response) -> Response:
        new = g.get("csrf_new_cookie")
        if new:
            response.set_cookie(
                COOKIE,
                new,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
                path="/",
            )
        return response


def current_token(guard: CsrfGuard) -> str:
    """The token for this request's browser ('' outside a request, e.g. validation layouts)."""
    cookie = g.get("csrf_cookie") if has_request_context() else None
    return guard.token_for(cookie) if cookie else ""


def refusal(guard: CsrfGuard, token: object) -> str | None:
    """Why this request may not write (a message for the analyst), or None when it may."""
    cookie = request.cookies.get(COOKIE)
    return None if guard.valid(cookie, token) else BAD_TOKEN
