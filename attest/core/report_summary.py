"""A verification report in plain words: one sentence a member of the public understands, and a
short summary of each check line.

Pure (a Report → text). Nothing here decides anything: every word is taken from the report's check
lines and the facts the verifier put in it (the attestation relied on, its organisation's name, the
anchoring block's time, what the answer rests on), so the page, the HTML report and the command line
can all say the same sentence, and it never says more than the lines do. Where a line failed, the
sentence says the document does not verify and names what failed; it states who published the
document only when the lines that establish it (deployment, anchored, proofs, logs) did not fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from attest.core.contracts import Kind
from attest.core.grounds import Ground
from attest.core.verification import Check, Report

#: Lines whose failure means the chain's answers themselves cannot be relied on: then the sentence
#: states nothing the chain said (who published, when), only that it does not verify and why.
_GROUNDS = ("deployment", "proofs", "logs")


@dataclass(frozen=True)
class Basis:
    """What a report's answer rests on, as the prover settled it (attest.app.proven).

    `how`: "checkpoint" (proven against a block a checkpoint named), "nodes" (proven against a block
    whose hash every node asked, or a quorum of them, agreed on), or "node" (the answers of one node,
    believed as they came: nothing proven). `nodes`: who vouched — each node as its operator's name
    when the deployment manifest gives one, else its URL; `operators`: the distinct operators named
    among them; `block`: the trusted block's number (None when nothing was proven)."""

    how: Literal["checkpoint", "nodes", "node"]
    nodes: tuple[str, ...]
    operators: tuple[str, ...] = ()
    block: int | None = None
    checkpoint: str | None = None

    @property
    def independent(self) -> bool:
        """Whether the trusted block is vouched for by more than one party: a checkpoint, or nodes of
        at least two parties — each node counted as its operator where the manifest names one, else
        as its URL (two URLs given on the command line are as independent as the nodes behind them)."""
        return self.how == "checkpoint" or (self.how == "nodes" and len(set(self.nodes)) >= 2)

    def vouched_by(self) -> str:
        """Who alone vouched for the trusted block, when that is not `independent`."""
        if len(self.operators) == 1 and len(self.nodes) > 1:
            return f"{len(self.nodes)} nodes all run by {self.operators[0]}"
        return f"one node ({self.nodes[0] if self.nodes else '?'})"

    def trusted(self) -> str:
        """The trusted block and why it is trusted (for "checkpoint" and "nodes")."""
        at = f"block {self.block}"
        if self.how == "checkpoint":
            return f"{at}, which a checkpoint given to this server names"
        if len(self.nodes) <= 1:
            who = self.nodes[0] if self.nodes else "?"
            return f"{at}, whose hash one node alone ({who}) gave: this server trusted that one node"
        unnamed = len(self.nodes) - sum(1 for n in self.nodes if n in self.operators)
        if len(self.operators) >= 2:
            orgs = f"{len(self.operators)} organisations ({', '.join(self.operators)})"
            more = f" and {unnamed} node(s) whose operator is not named" if unnamed else ""
            return f"{at}, whose hash the nodes of {orgs}{more} agreed on"
        if len(self.operators) == 1 and not unnamed:
            return (
                f"{at}, whose hash {len(self.nodes)} nodes agreed on, all run by one organisation "
                f"({self.operators[0]}): in effect, that organisation was trusted"
            )
        return (
            f"{at}, whose hash {len(self.nodes)} nodes agreed on ({', '.join(self.nodes)}); the deployment "
            "file does not say who runs them, so they may be one organisation's"
        )

    def words(self) -> str:
        """What the answer rests on, as the end of "This answer rests on …"."""
        if self.how == "node":
            who = self.nodes[0] if self.nodes else "the node this server reads"
            return f"the word of one node ({who}), believed as it answered: nothing was proven"
        return f"proofs checked against {self.trusted()}"


def when(ts: int) -> str:
    """A block time as a reader writes it: 7 December 2026 at 00:41 UTC."""
    t = datetime.fromtimestamp(ts, UTC)
    return f"{t.day} {t:%B %Y} at {t:%H:%M} UTC"


def _as_what(kind: Kind, year: int) -> str:
    return {
        Kind.FIGURES: f"its ESG figures for {year}",
        Kind.STATEMENT: f"a carbon verification statement for {year}",
        Kind.FILE: f"a document for the reporting year {year}",
        Kind.BATCH: f"one of a batch of documents for the reporting year {year}",
        Kind.DISCLOSURE: f"the private-data commitment of its figures for {year}",
    }[kind]


def _line(report: Report, name: str) -> Check | None:
    return next((c for c in report.checks if c.name == name), None)


def _failed(report: Report) -> list[Check]:
    return [c for c in report.checks if c.status == "fail"]


def _names(checks: Sequence[Check]) -> str:
    return ", ".join(dict.fromkeys(c.name for c in checks))


def unproven_only(check: Check) -> bool:
    """Whether `check` failed only because what it rests on is less than a proof (`--require-proofs`),
    not because anything was found wrong: the flag its maker set (`Check.unproven`), never its words,
    which may quote what a node or a revoker wrote."""
    return check.status == "fail" and check.unproven


#: The tag of a line resting on the node's answer alone.
NODE_WORD = Ground.NODE.label


def _rests_on(report: Report) -> str:
    proofs = _line(report, "proofs")
    basis = report.basis
    if proofs is None or basis is None:
        return "This answer rests on the word of the node this server reads: nothing was proven."
    if proofs.status == "fail" and not unproven_only(proofs):
        return "The node's answers contradict the proofs: none of them can be relied on."
    if basis.how == "node" or proofs.detail.startswith("unproven"):
        who = basis.nodes[0] if basis.nodes else "the node this server reads"
        return f"This answer rests on the word of one node ({who}): nothing was proven."
    partly = "" if proofs.status == "pass" else " (some facts only on the node's word: see the proofs line)"
    logs = _line(report, "logs")
    if logs is not None and logs.status != "pass":
        partly += " (some records only on the node's word: see the logs line)"
    # a line may rest on the node's word while both lines pass (a statement only it reads, newer than
    # the trusted block; a change since a checkpoint): the sentence names it, never calls it proven
    weak = [c.name for c in report.checks if c.rests_on == NODE_WORD and c.name not in ("proofs", "logs")]
    if weak:
        lines = f"the {', '.join(weak)} line" + (" rests" if len(weak) == 1 else "s rest")
        partly += f" ({lines} on the node's word)"
    return f"This answer rests on {basis.words()}{partly}."


def _anchored_when(report: Report) -> str:
    a = report.attestation
    assert a is not None
    if report.anchored_at is None:
        return f"in block {a.block_number} (its time unknown)"
    source = "" if report.anchored_at_proven else ", the time as the node reports it"
    return f"on {when(report.anchored_at)} (block {a.block_number}{source})"


def _current(report: Report) -> str:
    status = _line(report, "status")
    a = report.attestation
    assert a is not None
    if status is None:
        return "whether it is still current was not checked"
    if status.status == "pass":
        return "it is still current: not withdrawn, not replaced"
    if status.status == "info":
        return "whether it is still current cannot be known here"
    if status.status == "warn":
        return "it is current again, but a correction once replaced it and was withdrawn"
    if a.revocation is not None or a.revoked:
        r = a.revocation
        if r is None:
            return "it has been withdrawn (revoked)"
        by = "the consortium's committee" if r.org_id == 0 else "its publisher"
        at = f"in block {r.block_number}"
        if report.revoked_at is not None:
            source = "" if report.revoked_at_proven else ", the time as the node reports it"
            at = f"on {when(report.revoked_at)} (block {r.block_number}{source})"
        return f"it has been withdrawn: revoked by {by} {at}, giving as reason “{r.reason}”"
    if a.superseded_by:
        return "it is no longer current: a corrected version replaced it"
    return "it is no longer current"


def summary_sentence(report: Report) -> str:
    """The report in plain words: verified or not; who published the document, as what, for which
    year, when, whether it is still current; and what the answer rests on."""
    # a line failed only by --require-proofs found nothing wrong: said as one clause of its own
    unproven = [c for c in _failed(report) if unproven_only(c)]
    failed = [c for c in _failed(report) if not unproven_only(c)]
    a = report.attestation
    grounds = [c for c in failed if c.name in _GROUNDS]
    anchored = _line(report, "anchored")
    if grounds or a is None or anchored is None or (anchored.status != "pass" and anchored not in unproven):
        failed += unproven
        why = grounds or failed
        what = "; ".join(dict.fromkeys(_clause(c) for c in why)) if why else "the checks are incomplete"
        lines = f" (see the line{'s' if len(why) > 1 else ''} marked ✗: {_names(why)})" if why else ""
        head = f"Not verified: {what}{lines}."
        if report.input_error is not None or any(c.name == "proofs" for c in grounds):
            return head  # nothing was asked of a chain: nothing to rest on
        return f"{head} {_rests_on(report)}"
    who = report.org_name or f"organisation #{a.org_id}"
    published = f"{who} published this document as {_as_what(a.kind, a.year)}, {_anchored_when(report)}"
    current = _current(report)
    if report.verified:
        warn = [c for c in report.checks if c.status == "warn"]
        caution = (
            f" Take note of the line{'s' if len(warn) > 1 else ''} marked ! ({_names(warn)})." if warn else ""
        )
        return f"Verified: {published}, and {current}.{caution} {_rests_on(report)}"
    others = [c for c in failed if c.name != "status"]
    status = _line(report, "status")
    but = [current] if status is not None and status in failed else []
    but += [_clause(c) for c in others]
    if unproven:
        but.append(
            "not all it rests on is proven against a block independent nodes agree on (--require-proofs)"
        )
    failed += unproven
    see = f"see the line{'s' if len(failed) > 1 else ''} marked ✗: {_names(failed) or 'none'}"
    what = "; and ".join(but) or "the checks are incomplete"
    return f"Not verified: {published}, but {what} ({see}). {_rests_on(report)}"


_PASS = {
    "deployment": "The registry is the one the deployment file names, run by the consortium's governance.",
    "digest": "The document's fingerprint (sha256) was computed.",
    "receipt": "The receipt agrees with the chain.",
    "merkle": "The document is one of the batch that was anchored.",
    "anchored": "Its fingerprint is recorded in the registry.",
    "authorised": "Its publisher was allowed to publish it when it did.",
    "status": "Still current: not withdrawn, not replaced.",
    "reference": "The figures this statement verifies are still current.",
    "covers": "The statement verifies exactly these figures.",
    "cross-check": "The statement agrees with the figures.",
    "retirement": "The carbon credits were retired as the rules require.",
    "coverage": "A verification statement covers these figures.",
    "credits": "No other statement claims the same carbon credits.",
    "credits: recorded": "The credits the statement retires are recorded on the chain.",
    "credit records": "The carbon registry's records show this retirement, for this organisation.",
    "confirmations": "Deep enough in the chain to be final.",
    "proofs": "The registry's answers were proven against a trusted block.",
    "logs": "The publication records were proven against their blocks.",
}

_FAIL = {
    "input": "the file could not be read as a document of the kind it claims to be",
    "deployment": "the registry is not the one the deployment file describes",
    "digest": "the file is not the one the receipt describes",
    "receipt": "the receipt does not agree with the chain",
    "merkle": "the document is not one of the batch the receipt names",
    "organisation": "the document names another organisation than the one asked for",
    "anchored": "no publication of this document by a member organisation was found in the registry",
    "kind": "it was published as something other than what the document is",
    "year": "it was published for another year than the one it states",
    "authorised": "its publisher was not allowed to publish it",
    "status": "it is no longer current",
    "reference": "the figures this statement verifies are missing, withdrawn or replaced",
    "covers": "the statement verifies other figures than these",
    "cross-check": "the statement does not agree with the figures",
    "retirement": "the carbon credits were not retired as the rules require",
    "coverage": "no current verification statement covers these figures",
    "credits": "carbon credits it relies on are claimed twice",
    "credits: recorded": "the credits on the chain are not the ones the statement retires",
    "credit records": "the carbon registry's records do not show the retirement as claimed",
    "confirmations": "it is too recent to be final yet",
    "proofs": "the node's answers contradict the proofs",
    "logs": "the node's records contradict its blocks",
}


_UNPROVEN = "not all it rests on is proven against a block independent nodes agree on (--require-proofs)"


def _clause(check: Check) -> str:
    """A failed line as a clause of the summary sentence."""
    if unproven_only(check):
        return _UNPROVEN
    if check.name == "anchored" and "this file is not what was published" in check.detail:
        # decide's words when the organisation the document names anchored other content that year
        return (
            "the organisation it names published a different document for that year: this file is not "
            "what was published"
        )
    return _FAIL.get(_family(check.name), f"the {check.name} check failed")


def _family(name: str) -> str:
    """`cross-check: emissions` and `retirement: vintage` are summarised as their family."""
    return name if name in _PASS or name in _FAIL else name.split(":", 1)[0]


def plain_check(check: Check, report: Report | None = None) -> str:
    """One check line in a few plain words (failed lines as a clause, the others as a sentence); the
    line's own detail stays the technical record."""
    name = _family(check.name)
    if check.status == "fail":
        text = _clause(check)
        if name == "status" and report is not None and report.attestation is not None:
            text = _current(report)
        return text[0].upper() + text[1:] + "."
    if name == "anchored" and report is not None and report.attestation is not None:
        a = report.attestation
        who = report.org_name or f"organisation #{a.org_id}"
        return f"Published by {who} as {_as_what(a.kind, a.year)}, in block {a.block_number}."
    if name == "proofs":
        if check.detail.startswith("unproven"):
            return "Not proven: these answers rest on one node's word."
        basis = report.basis if report is not None else None
        base = f"Proven against {basis.trusted()}." if basis is not None else _PASS["proofs"]
        return base if check.status == "pass" else base[:-1] + "; some facts only on the node's word."
    if name == "logs" and check.status != "pass":
        return "Some publication records rest on the node's word (not proven against their blocks)."
    if name == "coverage":
        if not check.detail.startswith("covered by"):
            return "No verification statement covers these figures yet."
        if "(current)" in check.detail:
            return "A current verification statement covers these figures."
        return "Only statements that are no longer current cover these figures."
    if name == "key":
        return "The publisher's signing key was frozen after this (it may have been compromised)."
    if name == "status" and check.status == "warn":
        return "Current again: a correction once replaced it and was withdrawn."
    if name == "credits" and check.status != "pass":
        return "The carbon credits could not be fully compared with other statements' claims."
    if check.status == "warn":
        return "A caution, not a failure: open the line for what it is."
    if name == "credit records" and check.status == "info":
        return "Not compared with the carbon registry's records here (see the detail)."
    if check.status == "info":
        return f"Not decided here: {name}."
    return _PASS.get(name, f"The {check.name} check passed.")


def plain_checks(report: Report) -> list[str]:
    """`plain_check` of every line of `report`, in order."""
    return [plain_check(c, report) for c in report.checks]
