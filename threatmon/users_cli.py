"""`threatmon users add|remove|list|passwd|token`: who may sign in to the dashboard.

Passwords are read from a hidden prompt (typed twice) or, with
`--password-stdin`, from the first line of standard input, never from the
command line (where `ps` and the shell history would show them). Only their
argon2id hash is stored. A token is printed once and stored as its digest.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from indicators.accounts import (
    ROLES,
    VIEWER,
    AccountError,
    check_name,
    check_password,
    check_role,
    hash_password,
    new_token,
    token_digest,
)
from indicators.store import users as user_store

password_stdin_option = click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    default=False,
    help="Read the password from the first line of standard input instead of a prompt.",
)


def read_password(from_stdin: bool) -> str:
    """The new password, from stdin's first line or a hidden prompt typed twice; checked."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    check_password(password)
    return password


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach `threatmon users ...` to the main group."""

    @cli.group()
    def users() -> None:
        """Dashboard users: who may sign in, with which role, and their API tokens."""

    @users.command("add")
    @db_option
    @click.argument("name")
    @click.option(
        "--role",
        type=click.Choice(ROLES),
        default=VIEWER,
        show_default=True,
        help="viewer: read and export; analyst: also alert actions and lexicon proposals.",
    )
    @password_stdin_option
    @click.pass_context
    def add(ctx: click.Context, db: str | None, name: str, role: str, password_stdin: bool) -> None:
        """Add a user who may sign in (the password is asked for, never given as an argument)."""
        engine = engine_of(settings_of(ctx, db=db))
        try:
            clean = check_name(name)
            check_role(role)
            if user_store.user_by_name(engine, clean) is not None:
                raise AccountError(f"user {clean!r} exists already")
            password = read_password(password_stdin)
            user_store.add_user(engine, clean, role, hash_password(password), at=datetime.now(UTC))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"added {role} {clean}")

    @users.command("remove")
    @db_option
    @click.argument("name")
    @click.pass_context
    def remove(ctx: click.Context, db: str | None, name: str) -> None:
        """Remove a user: their sessions and API token stop working at once."""
        engine = engine_of(settings_of(ctx, db=db))
        try:
            user_store.remove_user(engine, check_name(name))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"removed {name.strip().lower()}")

    @users.command("list")
    @db_option
    @click.pass_context
    def list_(ctx: click.Context, db: str | None) -> None:
        """Users with their role, whether they have an API token, and when they were added."""
        found = user_store.list_users(engine_of(settings_of(ctx, db=db)))
        if not found:
            click.echo("no users: the dashboard is open on loopback only (`threatmon users add`)")
            return
        width = max(len("name"), *(len(u.name) for u in found))
        click.echo(f"{'name':<{width}}  {'role':<7}  {'api token':<16}  added")
        for user in found:
            token = (
                f"since {user.token_created_at:%Y-%m-%d}"
                if user.has_token and user.token_created_at
                else "none"
            )
            added = f"{user.created_at:%Y-%m-%d}"
            click.echo(f"{user.name:<{width}}  {user.role:<7}  {token:<16}  {added}")

    @users.command("passwd")
    @db_option
    @click.argument("name")
    @password_stdin_option
    @click.pass_context
    def passwd(ctx: click.Context, db: str | None, name: str, password_stdin: bool) -> None:
        """Set a user's password; the sessions signed in with the old one end."""
        engine = engine_of(settings_of(ctx, db=db))
        try:
            clean = check_name(name)
            if user_store.user_by_name(engine, clean) is None:
                raise AccountError(f"no user {clean!r}")
            password = read_password(password_stdin)
            user_store.set_password(engine, clean, hash_password(password), at=datetime.now(UTC))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"password of {clean} changed")

    @users.command("token")
    @db_option
    @click.argument("name")
    @click.pass_context
    def token(ctx: click.Context, db: str | None, name: str) -> None:
        """Create or replace a user's API token (for `Authorization: Bearer ...` on /api/).

        The token is printed once, on standard output; the previous one stops working.
        """
        engine = engine_of(settings_of(ctx, db=db))
        fresh = new_token()
        try:
            user_store.set_token(
                engine, check_name(name), token_digest(fresh), at=datetime.now(UTC)
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(fresh)
        click.echo(
            "API token created (shown once; the previous one no longer works). "
            "Send it as `Authorization: Bearer TOKEN`.",
            err=True,
        )
