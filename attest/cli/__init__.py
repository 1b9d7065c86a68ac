"""The `attest` command line: a thin shell over the library, one module per command group.

Exit codes: the one table, `attest.core.errors.EXIT_CODES` (shown by `attest --help`, docs/exit-codes.md).
Each command's module is imported when the command is asked for (`AttestGroup.lazy`), and heavy
modules inside commands, so a command loads only what it runs.
"""

from __future__ import annotations

from typing import Any

from attest.cli._common import AttestGroup, main

__all__ = ["main", "print_report"]

# Each command's modules (see AttestGroup.lazy): imported only when that command runs or help lists
# it; a module that adds a command to another's group is listed with that group (tests/test_cli_lazy.py).
AttestGroup.lazy = {
    "account": ("attest.cli._account",),
    "audit-disclosure": ("attest.cli._disclose",),
    "demo": ("attest.cli._demo",),
    "deploy": ("attest.cli._deploy",),
    "disclose": ("attest.cli._disclose",),
    "hash": ("attest.cli._demo",),
    "history": ("attest.cli._history",),
    "member": ("attest.cli._member",),
    "node": ("attest.cli._node",),
    "publish": ("attest.cli._publish", "attest.cli._disclose"),  # publish disclosure-root
    "relay": ("attest.cli._security",),
    "revoke": ("attest.cli._revoke",),
    "serve": ("attest.cli._serve",),
    "sign-statement": ("attest.cli._security",),
    "verify": ("attest.cli._verify",),
    "verify-deployment": ("attest.cli._security",),
    "verify-disclosure": ("attest.cli._disclose",),
    "verify-many": ("attest.cli._bulk",),
}


def print_report(*args: Any, **kwargs: Any) -> None:
    """`attest.cli._verify.print_report` (its module is loaded on first use)."""
    from attest.cli._verify import print_report as printer

    printer(*args, **kwargs)
