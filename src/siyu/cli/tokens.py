"""``siyu token issue``: print a signed access token."""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.auth import ANY_ROOM, Role, TokenSigner
from siyu.cli.common import ConfigOpt, load_or_exit

__all__ = ["token_app"]

token_app = typer.Typer(help="Issue signed access tokens", no_args_is_help=True)


@token_app.command("issue")
def token_issue(
    room: Annotated[str, typer.Option(help=f"Room id ({ANY_ROOM!r} for an operator of every room)")],
    user: Annotated[str, typer.Option(help="User id")],
    role: Annotated[Role, typer.Option(help="viewer | host | assistant | operator")] = Role.VIEWER,
    nickname: Annotated[str | None, typer.Option(help="Display name")] = None,
    level: Annotated[int, typer.Option(help="Fan level")] = 0,
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds")] = None,
    config: ConfigOpt = None,
) -> None:
    """Print a signed token for ROOM, USER and ROLE."""
    settings = load_or_exit(config)
    signer = TokenSigner(settings.secret, settings.token_ttl_s)
    typer.echo(signer.issue(room=room, user=user, role=role, nickname=nickname, level=level, ttl_s=ttl))
