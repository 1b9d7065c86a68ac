"""`attest` loads a command's modules only when the command is asked for (AttestGroup.lazy). Each
command, asked for in a fresh process, must reach the same command tree as with every command module
imported — a module that adds a subcommand to another module's group (`publish disclosure-root`)
must be listed with that group, or the subcommand silently disappears."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import click

WALK = """
import json, sys, click
from attest.cli import main

def walk(cmd, prefix):
    out = [prefix]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            out += walk(cmd.get_command(ctx, name), prefix + " " + name)
    return out

name = sys.argv[1]
print(json.dumps(walk(main.get_command(click.Context(main), name), name)))
"""


def _walk(cmd: Any, prefix: str) -> list[str]:
    out = [prefix]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            out += _walk(cmd.get_command(ctx, name), prefix + " " + name)
    return out


def test_each_command_alone_reaches_the_whole_tree() -> None:
    import importlib

    from attest.cli import AttestGroup, main

    for modules in AttestGroup.lazy.values():
        for module in modules:
            importlib.import_module(module)
    ctx = click.Context(main)
    assert set(main.commands) == set(AttestGroup.lazy), "a command missing from AttestGroup.lazy"
    for name in sorted(AttestGroup.lazy):
        whole = _walk(main.get_command(ctx, name), name)
        alone = subprocess.run([sys.executable, "-c", WALK, name], capture_output=True, text=True, timeout=60)
        assert alone.returncode == 0, alone.stderr
        assert json.loads(alone.stdout) == whole, name


def test_the_lie_a_forgotten_module_would_tell() -> None:
    """Without `_disclose` listed with `publish`, `publish disclosure-root` is gone: what the test
    above catches."""
    program = WALK.replace(
        "from attest.cli import main",
        "from attest.cli import main, AttestGroup\nAttestGroup.lazy['publish'] = ('attest.cli._publish',)",
    )
    alone = subprocess.run(
        [sys.executable, "-c", program, "publish"], capture_output=True, text=True, timeout=60
    )
    assert alone.returncode == 0, alone.stderr
    assert "publish disclosure-root" not in json.loads(alone.stdout)
