"""The `siyu` command line: a thin layer over the public API (Typer + rich).

One module per command group: ``serve.py`` (serve), ``demo.py`` (demo), ``tokens.py`` (token issue),
``bench.py`` (bench ...), ``assistant.py`` (assistant ask | answer | eval | recommend-eval), ``luckybag.py``
(luckybag verify), ``events.py`` (events export), ``room.py`` (room create --template),
``playbook.py`` (playbook validate | schema | dry-run);
``common.py`` has what they share. The console script is ``siyu = "siyu.cli:main"``.
"""

import typer

from siyu.cli.assistant import assistant_app
from siyu.cli.bench import bench_app
from siyu.cli.demo import demo
from siyu.cli.events import events_app
from siyu.cli.luckybag import luckybag_app
from siyu.cli.playbook import playbook_app
from siyu.cli.room import room_app
from siyu.cli.serve import serve
from siyu.cli.tokens import token_app

__all__ = ["app", "main"]

app = typer.Typer(help="siyu 私域: live-room interaction layer", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(bench_app, name="bench")
app.add_typer(assistant_app, name="assistant")
app.add_typer(luckybag_app, name="luckybag")
app.add_typer(events_app, name="events")
app.add_typer(playbook_app, name="playbook")
app.add_typer(room_app, name="room")
app.command()(serve)
app.command()(demo)


def main() -> None:
    app()
