"""``siyu token issue``: print a signed access token."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from siyu.auth import ANY_ROOM, MAX_LEVEL, MAX_NICKNAME, AuthError, Role, TokenSigner
from siyu.cli.common import ConfigOpt, console, load_or_exit

__all__ = ["token_app"]

token_app = typer.Typer(help="Issue signed access tokens", no_args_is_help=True)


@token_app.command("issue")
def token_issue(
    room: Annotated[str, typer.Option(help=f"Room id ({ANY_ROOM!r} for an operator of every room)")],
    user: Annotated[str, typer.Option(help="User id")],
    role: Annotated[Role, typer.Option(help="viewer|host|assistant|operator|consultant")] = Role.VIEWER,
    nickname: Annotated[
        str | None, typer.Option(help=f"Display name: 1..{MAX_NICKNAME} characters, no control characters")
    ] = None,
    level: Annotated[int, typer.Option(help=f"Fan level 0..{MAX_LEVEL}")] = 0,
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds")] = None,
    config: ConfigOpt = None,
) -> None:
    """Print a signed token for ROOM, USER and ROLE (exit code 2 if a claim is refused)."""
    settings = load_or_exit(config)
    signer = TokenSigner(settings.secret, settings.token_ttl_s)
    try:
        token = signer.issue(room=room, user=user, role=role, nickname=nickname, level=level, ttl_s=ttl)
    except AuthError as exc:  # the claim rules the join applies too (siyu.auth.check_claims)
        console.print(f"[red]令牌错误 {exc.code}[/red]: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    typer.echo(token)
