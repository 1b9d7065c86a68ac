"""The `attest` command line: a thin shell over the library, one module per command group.

Exit codes: the one table, `attest.core.errors.EXIT_CODES` (shown by `attest --help`, docs/exit-codes.md).
Heavy modules are imported inside commands so `attest --help` and `attest hash` start fast.
"""

from __future__ import annotations

from attest.cli import (
    _account,
    _bulk,
    _demo,
    _deploy,
    _disclose,
    _history,
    _member,
    _node,
    _publish,
    _revoke,
    _security,
    _serve,
    _verify,
)
from attest.cli._common import main
from attest.cli._verify import print_report

__all__ = ["main", "print_report"]
_COMMAND_MODULES = (_account, _demo, _deploy, _member, _node, _publish, _revoke, _verify)
_BULK_MODULES = (_bulk, _disclose)
_HISTORY_MODULES = (_history,)
_SECURITY_MODULES = (_security,)
_SERVE_MODULES = (_serve,)
