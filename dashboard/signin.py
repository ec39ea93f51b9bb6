"""Sign-in for the dashboard: the login form, session cookies, API tokens, who gets in.

With sign-in on (required off loopback, see `threatmon.dashboard_cli`), every
request but `/login` and `/healthz` must carry either

- a session cookie (HttpOnly; SameSite=Lax, so a link from an alert e-mail
  arrives signed in while another site's POST does not; Secure over https or
  when `cookie_secure` says TLS ends at a proxy), signed with the server's
  secret (itsdangerous, as Flask's own sessions) and naming the user and a
  stamp of their password hash: it expires after `session_hours`, and a new
  password or a removed user ends it at once; or
- on `/api/` and `/alerts.atom` only, `Authorization: Bearer TOKEN` with the
  user's API token (`threatmon users token NAME`), for scripts.

Without one, a browser's page request is sent to the login form and anything
else (the API, Dash's callbacks) gets 401 with a JSON reason. The role is read
from the database on every request, so a change applies at once. The login
form and the sign-out button carry the CSRF token of `dashboard.csrf` (the
same-origin check runs first); failed sign-ins are rate limited
(`dashboard.login_limit`) and logged with the name and address, never the
password. The session is a signed cookie (no session table), so the
read-only dashboard (no writable database connection) can sign users in too.
Signing out removes the cookie and, where the dashboard can write, raises the
user's session number (`users.session_epoch`, part of the cookie's stamp):
every earlier copy of that user's session cookie, in any browser, stops
working. The failed sign-ins are counted in the database then too, so every
serving process shares one limit (see `dashboard.login_limit`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, redirect, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Engine

from dashboard.csrf import COOKIE as CSRF_COOKIE
from dashboard.csrf import CsrfGuard, current_token
from dashboard.i18n import ENGLISH, N_, UI_COOKIE, UI_PARAM, Translator, pick_language
from dashboard.login_limit import Limiter, LoginLimiter, StoredLoginLimiter
from dashboard.login_page import login_html
from indicators.accounts import (
    AccountError,
    User,
    check_name,
    spend_verify_time,
    token_digest,
    verify_password,
)
from indicators.store import users as user_store

log = logging.getLogger("threatmon.signin")

SESSION_COOKIE = "threatmon_session"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
OPEN_PATHS = frozenset({LOGIN_PATH, "/healthz"})
TOKEN_PREFIXES = ("/api/", "/alerts.atom")
# Requests a browser makes in the background: they get 401, not the login form.
MACHINE_PREFIXES = ("/api/", "/alerts.atom", "/_dash-", "/_reload-hash")

WRONG = N_("Wrong user name or password.")
EXPIRED = N_("Your session has expired: sign in again.")
SIGNED_OUT = N_("You are signed out.")
BAD_FORM = N_("This form is out of date (the dashboard may have restarted): sign in again.")
TOO_MANY = N_("Too many failed sign-ins: try again in {minutes} minute(s).")


@dataclass(frozen=True)
class SignInConfig:
    """What sign-in needs from the settings (`threatmon.wiring` fills it)."""

    secret: bytes
    session_hours: int = 12
    cookie_secure: bool = False
    failures_per_user: int = 5
    failures_per_client: int = 20
    window_minutes: int = 15

    def __repr__(self) -> str:  # the secret never shows in a log or a traceback
        return f"SignInConfig(session_hours={self.session_hours}, ...)"


def password_stamp(secret: bytes, password_hash: str, session_epoch: int = 0) -> str:
    """What a session records of the user: it changes when the password does, and when
    the user signs out (the session number rises), so older cookies stop working."""
    material = f"{password_hash}\n{session_epoch}".encode()
    return hmac.new(secret, material, hashlib.sha256).hexdigest()[:32]


def stamp_of(secret: bytes, user: User) -> str:
    return password_stamp(secret, user.password_hash, user.session_epoch)


def safe_next(target: str | None) -> str:
    """A path on this dashboard to return to after sign-in; anything else is "/"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _unauthorized(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="threatmon"'
    response.headers["Cache-Control"] = "no-store"
    return response


class SignIn:
    """The admission check and the login/logout routes for one app (see the module)."""

    def __init__(
        self,
        engine: Engine,
        guard: CsrfGuard,
        config: SignInConfig,
        *,
        title: str,
        translators: Mapping[str, Translator] | None = None,
        writer: Engine | None = None,
    ) -> None:
        self.engine = engine
        self.writer = writer
        self.translators = translators or {}
        self.guard = guard
        self.config = config
        self.title = title
        limits = {
            "per_user": config.failures_per_user,
            "per_client": config.failures_per_client,
            "window": timedelta(minutes=config.window_minutes),
        }
        # shared by every process through the database, unless there is no writable one
        self.limiter: Limiter = (
            StoredLoginLimiter(writer, **limits) if writer is not None else LoginLimiter(**limits)
        )
        self._sessions = URLSafeTimedSerializer(config.secret, salt="threatmon-session")

    # --- sessions ------------------------------------------------------------------

    def session_value(self, user: User) -> str:
        return self._sessions.dumps({"u": user.name, "s": stamp_of(self.config.secret, user)})

    def session_user(self, value: str | None) -> tuple[User | None, bool]:
        """(the user a session cookie names, whether it had expired)."""
        if not value:
            return None, False
        try:
            data = self._sessions.loads(value, max_age=self.config.session_hours * 3600)
        except SignatureExpired:
            return None, True
        except BadSignature:
            return None, False
        if not isinstance(data, dict) or not isinstance(data.get("u"), str):
            return None, False
        user = user_store.user_by_name(self.engine, data["u"])
        if user is None or not hmac.compare_digest(
            stamp_of(self.config.secret, user), str(data.get("s"))
        ):
            return None, False  # removed, signed out, or the password changed since
        return user, False

    def token_user(self, header: str) -> User | None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return user_store.user_by_token(self.engine, token_digest(token.strip()))

    # --- admission -------------------------------------------------------------------

    def admit(self) -> Any:
        """Before every request: let it through with `g.user` set, or answer it."""
        path = request.path
        if path in OPEN_PATHS:
            return None
        header = request.headers.get("Authorization", "")
        if header and path.startswith(TOKEN_PREFIXES):
            user = self.token_user(header)
            if user is None:
                return _unauthorized("invalid or revoked API token")
            g.user = user
            return None
        user, expired = self.session_user(request.cookies.get(SESSION_COOKIE))
        if user is not None:
            g.user = user
            return None
        if path.startswith(MACHINE_PREFIXES) or request.method != "GET":
            return _unauthorized(
                EXPIRED if expired else "sign in required (a session, or an API token on /api/)"
            )
        query = {"next": request.full_path.rstrip("?")}
        if expired:
            query["expired"] = "1"
        return redirect(f"{LOGIN_PATH}?{urlencode(query)}", code=303)

    # --- the routes --------------------------------------------------------------------

    def _language(self) -> Translator:
        """The login page's language: the dashboard's choice (`ui=`, cookie, browser)."""
        lang = pick_language(
            request.args.get(UI_PARAM),
            request.cookies.get(UI_COOKIE),
            request.headers.get("Accept-Language"),
        )
        return self.translators.get(lang) or ENGLISH

    def _page(
        self,
        status: int,
        *,
        message: str = "",
        values: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> Response:
        """The login form in the visitor's language; `message` is one of the messages
        above, translated, then filled with `values`."""
        t = self._language()
        body = login_html(
            title=self.title,
            csrf_token=current_token(self.guard),
            message=t(message).format(**(values or {})) if message else "",
            t=t,
            **kwargs,
        )
        response = Response(body, status=status, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response

    def login_form(self) -> Response:
        args = request.args
        if args.get("expired"):
            return self._page(200, next_path=safe_next(args.get("next")), message=EXPIRED)
        if args.get("out"):
            return self._page(200, message=SIGNED_OUT, info=True)
        return self._page(200, next_path=safe_next(args.get("next")))

    def login(self) -> Response:
        form = request.form
        raw_name = form.get("name", "")
        next_path = safe_next(form.get("next"))
        if not self.guard.valid(request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
            return self._page(403, next_path=next_path, name=raw_name, message=BAD_FORM)
        client = request.remote_addr or "unknown"
        try:
            name = check_name(raw_name)
        except AccountError:
            name = raw_name.strip().lower()[:64]
        wait = self.limiter.wait(name, client)
        if wait is not None:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            log.warning("sign-in paused for %r from %s (too many failures)", name, client)
            response = self._page(
                429,
                next_path=next_path,
                name=raw_name,
                message=TOO_MANY,
                values={"minutes": minutes},
            )
            response.headers["Retry-After"] = str(math.ceil(wait.total_seconds()))
            return response
        password = form.get("password", "")
        user = user_store.user_by_name(self.engine, name)
        if user is None:
            spend_verify_time(password)  # an unknown name costs the same time as a known one
        if user is None or not verify_password(user.password_hash, password):
            self.limiter.failed(name, client)
            log.warning("failed sign-in for %r from %s", name, client)
            return self._page(401, next_path=next_path, name=raw_name, message=WRONG)
        self.limiter.succeeded(name)
        log.info("%s (%s) signed in from %s", user.name, user.role, client)
        response = redirect(next_path, code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.session_value(user),
            max_age=self.config.session_hours * 3600,
            httponly=True,
            samesite="Lax",
            secure=self.config.cookie_secure or request.is_secure,
            path="/",
        )
        return response

    def logout(self) -> Response:
        if not self.guard.valid(request.cookies.get(CSRF_COOKIE), request.form.get("csrf_token")):
            return Response(self._language()(BAD_FORM), status=403, mimetype="text/plain")
        user = g.get("user")  # `admit` read the session cookie already
        if user is not None and self.writer is not None:
            # every copy of this user's session cookie ends, not only this browser's
            user_store.end_sessions(self.writer, user.name)
            log.info("%s signed out", user.name)
        response = redirect(f"{LOGIN_PATH}?out=1", code=303)
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.config.cookie_secure or request.is_secure,
        )
        return response


def install(
    server: Flask,
    engine: Engine,
    guard: CsrfGuard,
    config: SignInConfig,
    *,
    title: str,
    translators: Mapping[str, Translator] | None = None,
    writer: Engine | None = None,
) -> SignIn:
    """Require sign-in on `server` (install after `dashboard.csrf.install`: it runs first);
    the login page speaks the dashboard's interface languages (`translators`); `writer`, the
    dashboard's writable connection when it has one, shares failed sign-ins between
    processes and lets signing out end the user's sessions."""
    signin = SignIn(engine, guard, config, title=title, translators=translators, writer=writer)
    server.before_request(signin.admit)
    server.add_url_rule(LOGIN_PATH, "login_form", signin.login_form, methods=["GET"])
    server.add_url_rule(LOGIN_PATH, "login", signin.login, methods=["POST"])
    server.add_url_rule(LOGOUT_PATH, "logout", signin.logout, methods=["POST"])
    return signin
