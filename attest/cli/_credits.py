"""The credit-policy option `verify` and `verify-many` share (`--max-vintage-age`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from attest.core.credits import CreditPolicy

F = TypeVar("F", bound=Callable[..., Any])


def max_vintage_age_option(f: F) -> F:
    return click.option(
        "--max-vintage-age",
        "max_vintage_age",
        type=click.IntRange(min=0, max=100),
        default=None,
        help="Oldest credit vintage `retirement: vintage` accepts, in years before the year the verified "
        "period ends; default 5 (neither ISO 14068-1 nor PAS 2060 fixes one; see the README).",
    )(f)


def credit_policy(max_vintage_age: int | None) -> CreditPolicy:
    """The policy the options give (attest.core.credits is imported here: `--help` stays fast)."""
    from attest.core.credits import DEFAULT_MAX_VINTAGE_AGE, CreditPolicy

    return CreditPolicy(DEFAULT_MAX_VINTAGE_AGE if max_vintage_age is None else max_vintage_age)
