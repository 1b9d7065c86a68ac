"""`attest demo` and `attest hash`: the commands that need no chain or key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    emit,
    handle_errors,
    json_option,
    main,
)

if TYPE_CHECKING:
    pass


@main.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write files (default: a temp dir).",
)
@json_option
def demo(workdir: str | None, as_json: bool) -> None:
    """The whole story on the embedded chain: deploy, admit, publish, verify, tamper, verify again."""
    with handle_errors():
        from attest.devtools.demo import run_demo

        ok = run_demo(Path(workdir) if workdir else None, as_json=as_json)
        sys.exit(0 if ok else 1)


@main.command("hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def hash_cmd(files: tuple[str, ...], as_json: bool) -> None:
    """Print the sha256 digest of each FILE (figures JSON: of its RFC 8785 canonical form)."""
    with handle_errors():
        from attest.core.documents import hash_document

        docs = [hash_document(f) for f in files]
        emit(
            as_json,
            [
                {"file": str(d.path), "digest": d.digest, "rule": d.digest_rule, "media_type": d.media_type}
                for d in docs
            ],
            lambda: click.echo("\n".join(f"{d.digest}  {d.path}  ({d.rule_text})" for d in docs)),
        )
