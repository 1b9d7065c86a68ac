"""What `--covers` and `--supersedes` point at: read without the chain, then resolved against it.

A statement covers one figures attestation; a restatement supersedes one live attestation of the
signer's own organisation, of the same kind. Users name the target by its receipt file or its
attestation uid — or, for `--covers`, by the figures' sha256 digest, found among the attestations
of the organisation the statement names. Every entry point (the `attest` CLI, scripts/publish_year.py)
goes through these functions, in two steps: `parse_*` before any key is unlocked or node contacted,
so a malformed reference costs nothing; `resolve_*` before anything is sent, checking the registry's
own rules so a refusal is a one-line InputError (exit 2) rather than a reverted transaction.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, NamedTuple

from attest.app.signing import UID_RE
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.errors import InputError
from attest.core.names import normalise_name
from attest.core.receipt import load_receipt
from attest.core.statement import CarbonVerification

_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


class Covers(NamedTuple):
    """`--covers` as given: a figures attestation uid, or a digest still to be looked up on the chain."""

    how: Literal["uid", "digest"]
    value: str  # lower-case: 0x + 64 hex for a uid, 64 hex for a digest


def parse_covers(covers: str) -> Covers:
    """Read `--covers` without the chain: a uid, a receipt file (for figures), or a sha256 digest."""
    if UID_RE.fullmatch(covers):
        return Covers("uid", covers.lower())
    if _DIGEST.fullmatch(covers) and not Path(covers).is_file():
        return Covers("digest", covers.lower())
    if Path(covers).is_file():
        return Covers("uid", _uid_from_receipt(covers, Kind.FIGURES, "--covers"))
    raise InputError(
        f"{covers!r} is not a receipt file, an attestation uid (0x + 64 hex) or a sha256 digest",
        field="--covers",
    )


def covers_uid(covers: str) -> str:
    """`--covers` for off-line signing: a uid or the figures' receipt; a digest needs the chain."""
    parsed = parse_covers(covers)
    if parsed.how == "digest":
        raise InputError(
            "a digest is found among the figures only with the chain: give their attestation uid "
            "(0x + 64 hex) or their receipt file",
            field="--covers",
        )
    return parsed.value


def resolve_covers(deployment: Deployment, covers: Covers, statement: CarbonVerification) -> str:
    """The uid of the figures attestation `statement` covers; InputError (exit 2) if there is none."""
    how, value = covers
    if how == "digest":
        name = statement.organisation.name
        org_ids = {o.org_id for o in deployment.organisations() if o.info.name == name}
        if not org_ids:
            raise InputError(
                f"the statement names organisation {name!r}, which is not an admitted member",
                field="--covers",
            )
        found = [
            a
            for a in deployment.attestations_of_digest(value)
            if a.org_id in org_ids and a.kind is Kind.FIGURES and not a.revoked
        ]
        if not found:
            raise InputError(f"no unrevoked figures attestation of {value} by {name!r}", field="--covers")
        if len(found) > 1:
            uids = ", ".join(a.uid for a in found)
            raise InputError(f"several figures attestations of {value} by {name!r}: {uids}", field="--covers")
        value = found[0].uid
    target = deployment.attestation(value)
    if target is None:
        raise InputError(f"no attestation with uid {value}", field="--covers")
    if target.kind is not Kind.FIGURES:
        raise InputError(f"attestation {value} is {target.kind.label}, not figures", field="--covers")
    if target.year != statement.reporting_year:
        raise InputError(
            f"the figures attestation is for {target.year}, the statement for {statement.reporting_year}",
            field="--covers",
        )
    names = {o.org_id: o.info.name for o in deployment.organisations()}
    by = names.get(target.org_id, "?")
    if normalise_name(by) != normalise_name(statement.organisation.name):
        raise InputError(
            f"the figures attestation is by {by!r} (org #{target.org_id}), the statement is about "
            f"{statement.organisation.name!r}: a statement covers its own organisation's figures",
            field="--covers",
        )
    return target.uid


def parse_supersedes(supersedes: str, kind: Kind) -> str:
    """The uid a restatement of `kind` replaces, from a uid or a receipt file, without the chain."""
    if UID_RE.fullmatch(supersedes):
        return supersedes.lower()
    if Path(supersedes).is_file():
        return _uid_from_receipt(supersedes, kind, "--supersedes")
    raise InputError(
        f"{supersedes!r} is not a receipt file or an attestation uid (0x + 64 hex)", field="--supersedes"
    )


def resolve_supersedes(deployment: Deployment, uid: str, signer: str, kind: Kind, digest: str) -> str:
    """Check the registry's restatement rule before sending, so a refusal is exit 2 and costs nothing:
    the old attestation is the signer's organisation's, of `kind`, live, and not this same document.

    Already superseded by this same restatement (digest, organisation) is not a refusal: re-running
    the command after a crash must find it done, as every publish does.
    """
    old = deployment.attestation(uid)
    if old is None:
        raise InputError(f"no attestation with uid {uid}", field="--supersedes")
    org_id = deployment.account_org(signer)
    if old.org_id != org_id:
        raise InputError(
            f"attestation {uid} belongs to organisation #{old.org_id}, not the signer's (#{org_id})",
            field="--supersedes",
        )
    if old.kind is not kind:
        raise InputError(f"attestation {uid} is {old.kind.label}, not {kind.label}", field="--supersedes")
    if old.revoked:
        raise InputError(
            f"attestation {uid} is revoked: there is nothing live to restate", field="--supersedes"
        )
    if old.superseded_by:
        if org_id and old.superseded_by == deployment.uid_of(org_id, digest):
            return old.uid  # superseded by this very restatement: a re-run, which publish finds done
        raise InputError(
            f"attestation {uid} is already superseded by {old.superseded_by}", field="--supersedes"
        )
    if old.digest == digest:
        raise InputError(
            "the restatement is the same document as the one it supersedes", field="--supersedes"
        )
    return old.uid


def _uid_from_receipt(path: str, kind: Kind, option: str) -> str:
    receipt = load_receipt(path)
    if receipt.attestation.kind != kind.label:
        raise InputError(
            f"the receipt is for a {receipt.attestation.kind} attestation, not {kind.label}",
            path=path,
            field=option,
        )
    return receipt.attestation.uid.lower()
