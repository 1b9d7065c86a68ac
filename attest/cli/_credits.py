"""The credit-policy options `verify` and `verify-many` share (`--max-vintage-age`,
`--registry-records`, `--require-registry`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from attest.core.credits import CreditPolicy

F = TypeVar("F", bound=Callable[..., Any])


def max_vintage_age_option(f: F) -> F:
    f = click.option(
        "--registry-records",
        "registry_records",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="A carbon registry's own export (CSV, its header unchanged; repeatable): each retirement a "
        "statement lists is checked against it (`credit records` lines; docs/credits.md).",
    )(f)
    f = click.option(
        "--require-registry",
        is_flag=True,
        help="Units of a retirement that the --registry-records given do not hold fail the verdict.",
    )(f)
    return click.option(
        "--max-vintage-age",
        "max_vintage_age",
        type=click.IntRange(min=0, max=100),
        default=None,
        help="Oldest credit vintage `retirement: vintage` accepts, in years before the year the verified "
        "period ends; default 5 (neither ISO 14068-1 nor PAS 2060 fixes one; see the README).",
    )(f)


def credit_policy(
    max_vintage_age: int | None, registry_records: tuple[str, ...] = (), require_registry: bool = False
) -> CreditPolicy:
    """The policy the options give (attest.core.credits is imported here: `--help` stays fast); each
    registry export is read now, so a file it cannot read is one line (exit 2) before the chain is asked.
    No export and no --require-registry: the `credit records` lines say they were not checked."""
    from attest.app.credits import load_registry_records
    from attest.core.credits import DEFAULT_MAX_VINTAGE_AGE, CreditPolicy

    given = load_registry_records(registry_records) if registry_records or require_registry else None
    return CreditPolicy(
        DEFAULT_MAX_VINTAGE_AGE if max_vintage_age is None else max_vintage_age, given, require_registry
    )
