"""Shared pieces of the command line: the `main` group, common options, error handling, output.

Exit codes: the one table, `attest.core.errors.EXIT_CODES` (shown by `attest --help`, docs/exit-codes.md).
Heavy modules are imported inside commands so `attest --help` and `attest hash` start fast.
"""

from __future__ import annotations

import functools
import io
import json
import re
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import click

from attest.cli.exits import one_line_errors
from attest.core.report_text import SYMBOL as SYMBOL

if TYPE_CHECKING:
    from rich.progress import Progress

    from attest.app.proven import ProofPolicy
    from attest.chain.deployment import Deployment
    from attest.chain.signer import Signer, SignerChoice
    from attest.core.header import Checkpoint

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors() -> AbstractContextManager[None]:
    """Turn every expected error into one line on stderr and its exit code; never a traceback.
    The scripts' mechanism (`attest.cli.exits.one_line_errors`), letting click's own exits through."""
    return one_line_errors(passthrough=(click.exceptions.Exit, click.ClickException))


def emit(as_json: bool, data: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        human()


def progress_bar(*columns: Any, hidden: bool = False) -> Progress:
    """A transient progress bar on stderr, shown only when stderr is a terminal: stdout carries
    results alone, so a script piping it never sees bar residue (not even a blank line)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)  # imported here: rich costs start-up time other commands need not pay
    return Progress(*columns, console=console, transient=True, disable=hidden or not console.is_terminal)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(f)


def chain_options(f: F) -> F:
    f = click.option(
        "--rpc-url",
        envvar="ATTEST_RPC_URL",
        multiple=True,
        callback=_remember_urls,
        help="JSON-RPC endpoint (default: the manifest's). The verifying commands (verify, verify-many, "
        "verify-disclosure, serve) take it more than once: every node must agree on the block their "
        "proofs are checked against. Env ATTEST_RPC_URL (space-separated).",
    )(f)
    f = click.option(
        "--deployment",
        "-d",
        "deployment_path",
        envvar="ATTEST_DEPLOYMENT",
        type=click.Path(dir_okay=False),
        default="deployments/local.json",
        show_default=True,
        help="The consortium's deployment manifest: the JSON file naming its chain and contract addresses "
        "(the consortium publishes it; `attest deploy` writes one). Env ATTEST_DEPLOYMENT.",
    )(f)
    f = click.option(
        "--confirmations",
        type=click.IntRange(min=1),
        default=None,
        help="Confirmations to wait for / require.",
    )(f)
    f = click.option(
        "--manifest-sha256",
        envvar="ATTEST_MANIFEST_SHA256",
        expose_value=False,
        callback=_remember_pin,
        help="The sha256 of the deployment manifest as the consortium publishes it: any other manifest "
        "is refused (exit 2). Env ATTEST_MANIFEST_SHA256.",
    )(f)
    return f


def proof_options(f: F) -> F:
    """How a verification settles on its trusted block: `--quorum`, `--trust-block`, `--require-proofs`
    (with `--rpc-url`, given once per node)."""
    f = click.option(
        "--require-proofs",
        is_flag=True,
        help="Fail when a fact cannot be proven against the trusted block (a node that serves no proofs).",
    )(f)
    f = click.option(
        "--trust-block",
        "trust_block",
        default=None,
        metavar="NUMBER:HASH",
        help="A block the auditor obtained out of band: its hash is the trusted one, and facts are "
        "proven against its header.",
    )(f)
    f = click.option(
        "--quorum",
        type=click.IntRange(min=1),
        default=None,
        help="How many of the --rpc-url nodes must report the same hash for the trusted block "
        "(default: all of them).",
    )(f)
    return f


def proof_policy(
    dep: Deployment, quorum: int | None, checkpoint: Checkpoint | None, require: bool
) -> ProofPolicy:
    """The command line's proof policy: every `--rpc-url` given, else the manifest's nodes (each
    named with the organisation that runs it), else its one `rpc_url`. The manifest is a file the
    audited party may have written: unless it is pinned (`--manifest-sha256`), the nodes it lists
    (two or more) are counted as one party — whoever wrote it — however it labels them, so a bank
    listing two of its own nodes under two names does not make its block "vouched for by two
    parties"; one node is one party anyway, named by its URL."""
    from attest.app.proven import ProofPolicy

    manifest = dep.manifest
    urls = rpc_urls(manifest.node_urls())
    operators = manifest.operators()
    if pinned_manifest() is None and urls == manifest.node_urls() and len(urls) > 1:
        author = UNPINNED_AUTHOR
        operators = {u: author for u in urls}
    return ProofPolicy(urls, quorum, checkpoint, require, operators)


#: Who runs the nodes an unpinned manifest lists, as far as this tool can tell.
UNPINNED_AUTHOR = (
    "whoever wrote the deployment file (not pinned: give --manifest-sha256, or nodes of your own "
    "choosing with --rpc-url)"
)


_PIN_KEY = "attest.manifest_sha256"


def _remember_urls(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str | None:
    """Every `--rpc-url` given, kept for `verify`'s quorum; commands get the first as their node."""
    ctx.meta["rpc_urls"] = tuple(value)
    return value[0] if value else None


def rpc_urls(default: tuple[str, ...]) -> tuple[str, ...]:
    """The nodes `--rpc-url` named (all of them), else `default` (the manifest's)."""
    urls: tuple[str, ...] = click.get_current_context().meta.get("rpc_urls", ())
    return urls or default


def _remember_pin(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[_PIN_KEY] = value
    return value


def signer_options(f: F) -> F:
    """The signing key: `--keystore` (+ `--password-file`), or `--signer pkcs11:…` (+ `--pkcs11-module`,
    `--pin-file`) for a key in an HSM. Exactly one is checked before the command runs (exit 2); the
    command body sees `keystore` and `password_file` and calls `load_signer`, which honours both.
    (Declared last first: click lists options in reverse order of decoration.)"""
    f = click.option(
        "--pin-file",
        type=click.Path(dir_okay=False),
        expose_value=False,
        callback=_remember(_SIGNER_PIN_FILE),
        help="With --signer: file holding the token's user PIN (else env ATTEST_PKCS11_PIN, else a prompt).",
    )(f)
    f = click.option(
        "--pkcs11-module",
        envvar="ATTEST_PKCS11_MODULE",
        type=click.Path(dir_okay=False),
        expose_value=False,
        callback=_remember(_SIGNER_MODULE),
        help="With --signer: the HSM vendor's PKCS#11 library. Env ATTEST_PKCS11_MODULE.",
    )(f)
    f = click.option(
        "--signer",
        envvar="ATTEST_SIGNER",
        expose_value=False,
        callback=_remember(_SIGNER_URI),
        help="A key in an HSM instead of --keystore: an RFC 7512 PKCS#11 URI, "
        "'pkcs11:token=LABEL;object=KEY'. Env ATTEST_SIGNER.",
    )(f)
    f = click.option(
        "--password-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="File holding the keystore password (else env ATTEST_PASSWORD, else a prompt).",
    )(f)
    f = click.option(
        "--keystore",
        envvar="ATTEST_KEYSTORE",
        type=click.Path(dir_okay=False),
        default=None,
        help="Encrypted V3 keystore of the signing account (or --signer). Env ATTEST_KEYSTORE.",
    )(f)
    return _checks_signer(f)


_SIGNER_URI, _SIGNER_MODULE, _SIGNER_PIN_FILE = "attest.signer", "attest.pkcs11_module", "attest.pin_file"


def _remember(key: str) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        ctx.meta[key] = value
        return value

    return callback


def _checks_signer(f: F) -> F:
    """Refuse both keys or none (one line, exit 2) before the command body runs."""

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        with handle_errors():
            signer_choice(kwargs.get("keystore"), kwargs.get("password_file")).check()
        return f(*args, **kwargs)

    return cast(F, command)


def signer_choice(keystore: str | None, password_file: str | None) -> SignerChoice:
    """What this command was told to sign with: the keystore options it was handed, and the
    PKCS#11 ones `signer_options` kept in the context."""
    from attest.chain.signer import SignerChoice

    context = click.get_current_context(silent=True)
    meta = context.meta if context is not None else {}
    return SignerChoice(
        keystore=keystore,
        password_file=password_file,
        pkcs11=meta.get(_SIGNER_URI),
        pkcs11_module=meta.get(_SIGNER_MODULE),
        pin_file=meta.get(_SIGNER_PIN_FILE),
    )


def parse_addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Validate account addresses at the command line, before anything is sent."""
    from eth_utils import is_address, to_checksum_address

    for value in values:
        if not is_address(value):
            raise click.BadParameter(f"{value!r} is not an account address (0x + 40 hex digits)")
    return tuple(to_checksum_address(v) for v in values)


def open_deployment(deployment_path: str, rpc_url: str | None, confirmations: int | None) -> Deployment:
    """The deployment a command works on; refused when `--manifest-sha256` pins another manifest."""
    from attest.chain.deployment import Deployment
    from attest.core.manifest import check_pinned

    dep = Deployment.open(deployment_path, rpc_url=rpc_url, confirmations=confirmations)
    check_pinned(dep.manifest, pinned_manifest(), path=deployment_path)
    return dep


def pinned_manifest() -> str | None:
    """The manifest sha256 given with `--manifest-sha256` / ATTEST_MANIFEST_SHA256, if any."""
    context = click.get_current_context(silent=True)
    return context.meta.get(_PIN_KEY) if context is not None else None


def load_signer(keystore: str | None, password_file: str | None) -> Signer:
    """The unlocked signing key: the keystore (its password asked now), or the token's key (its
    PIN asked now). Loaded once per command: a second call returns the same signer."""
    context = click.get_current_context(silent=True)
    if context is not None and _SIGNER_LOADED in context.meta:
        return cast("Signer", context.meta[_SIGNER_LOADED])
    signer = signer_choice(keystore, password_file).load()
    if context is not None:
        context.meta[_SIGNER_LOADED] = signer
    return signer


def signer_address(keystore: str | None) -> str:
    """The signing account's address, without unlocking a keystore (nor, when its public key is a
    public object, the token)."""
    context = click.get_current_context(silent=True)
    if context is not None and _SIGNER_LOADED in context.meta:
        return str(context.meta[_SIGNER_LOADED].address)
    choice = signer_choice(keystore, None)
    address = choice.address()
    if context is not None and choice.loaded is not None:  # the token showed no public key: unlocked
        context.meta[_SIGNER_LOADED] = choice.loaded  # once, not twice
    return address


_SIGNER_LOADED = "attest.signer_loaded"


def exit_codes_help() -> str:
    """The exit-code table (`attest.core.errors.EXIT_CODES`) as a `--help` paragraph click keeps as is."""
    from attest.core.errors import EXIT_CODES_DOC, exit_code_lines

    return "\b\nExit codes (" + EXIT_CODES_DOC + "):\n" + "\n".join(exit_code_lines())


def first_sentence(text: str | None) -> str:
    """A command's summary for a help list: its first sentence whole (click's default cuts it to
    fit one line, mid-sentence); the formatter wraps it."""
    paragraph = " ".join((text or "").split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


class AttestGroup(click.Group):
    """The `attest` group: its command lists show each summary as a whole sentence, wrapped, never
    cut (its subgroups too), and it ends as every entry point does (`attest.cli.exits`)."""

    group_class = type

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """click's `main`, with click's own endings made ours: its usage errors are `error:` lines
        (click writes `Error:`), exit 2; Ctrl-C where click catches it — at a prompt, while parsing —
        is `interrupted`, exit 130 (click writes `Aborted!` and exits 1, which is "not verified")."""
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        from attest.core.errors import EXIT_INTERRUPTED, InputError

        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort as exc:
            if isinstance(exc.__context__, EOFError):  # a prompt met the end of its input
                click.echo("error: no answer: the input ended at a prompt", err=True)
                sys.exit(InputError.exit_code)
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            shown = io.StringIO()
            exc.show(file=shown)
            sys.stderr.write(re.sub(r"^Error: ", "error: ", shown.getvalue(), count=1, flags=re.MULTILINE))
            sys.exit(exc.exit_code if exc.exit_code != 1 else InputError.exit_code)
        sys.exit(code if isinstance(code, int) else 0)

    #: Each top-level command's module, imported when the command is asked for (`attest verify`
    #: loads the verifying modules, never the publishing, governance or node ones); the modules
    #: register their commands on `main` as they are imported.
    lazy: ClassVar[dict[str, tuple[str, ...]]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            for module in self.lazy[cmd_name]:  # a group's module, and any that add to the group
                importlib.import_module(module)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.short_help or first_sentence(cmd.help)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=AttestGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Anchor and verify ESG figures and carbon verification statements on a permissioned chain.\n\n"
    + exit_codes_help(),
)
@click.version_option(package_name="esg-attest")
def main() -> None:
    pass
