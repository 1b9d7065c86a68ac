"""Gather the evidence for one verification target from the file and the chain, then `decide`.

A target is a document file, a receipt, or a bare sha256 digest (an auditor may hold only the hash).
With figures and a statement at hand together, `verify_pair` also checks that the statement's
attestation covers exactly these figures and compares the statement's content with the figures'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from attest.app.facts import ChainFacts, LiveFacts, Reading
from attest.core.contracts import Kind
from attest.core.credits import CreditPolicy, retirement_checks
from attest.core.documents import HashedDocument, hash_document, read_json_document
from attest.core.errors import ChainError, InputError
from attest.core.figures import EsgFigures
from attest.core.grounds import Grounds
from attest.core.names import holders, organisation_id
from attest.core.receipt import Receipt, is_receipt, lookup_digest, parse_receipt
from attest.core.records import ZERO_REF, OnchainAttestation, attestation_uid
from attest.core.sidefiles import RECEIPT_SUFFIX, receipt_name
from attest.core.statement import CarbonVerificationV2, cross_check
from attest.core.verification import Evidence, Report, RuleCheck, Status, TargetFacts, decide, rest

if TYPE_CHECKING:
    from attest.app.proven import Prover
    from attest.chain.deployment import Deployment
    from attest.core.registry_records import Line  # read only where records are given

_DIGEST = re.compile(r"^(?:sha256:|0x)?([0-9a-fA-F]{64})$")


@dataclass(frozen=True)
class Target:
    """What the target file says about itself, before the chain is asked anything."""

    digest: str
    detail: str
    receipt: Receipt | None = None
    mismatch: str | None = None
    document: HashedDocument | None = None
    receipt_problems: tuple[str, ...] = ()

    @property
    def lookup(self) -> str:
        """The digest the registry is asked about: a batch member's root, else its own digest
        (`core.receipt.lookup_digest`, the one home of that rule)."""
        return lookup_digest(self.receipt, self.digest)

    @property
    def kind(self) -> Kind | None:
        """The document's kind, by its content, when the document is at hand (a receipt alone proves
        nothing)."""
        return self.document.type.kind if self.document is not None else None

    @property
    def named_org(self) -> str | None:
        """Who the document says anchored it: the bank for figures, the verification body for statements."""
        return self.document.type.organisation(self.document) if self.document is not None else None

    @property
    def year(self) -> int | None:
        return self.document.type.year(self.document) if self.document is not None else None

    @property
    def schema(self) -> str | None:
        """The schema the document declares, when it is at hand."""
        content = self.document.content if self.document is not None else None
        value = getattr(content, "schema_", None)
        return value if isinstance(value, str) else None

    def facts(self, subject: str, merkle_proof_ok: bool | None) -> TargetFacts:
        """What this target says about itself, as the rules read it (`Evidence.target`);
        `merkle_proof_ok`: whether its batch receipt's Merkle path holds (None: not a batch member)."""
        statement = self.document.statement if self.document is not None else None
        return TargetFacts(
            subject=subject,
            digest=self.digest,
            digest_detail=self.detail,
            digest_mismatch=self.mismatch,
            merkle_proof_ok=merkle_proof_ok,
            receipt=self.receipt,
            receipt_problems=list(self.receipt_problems),
            document_kind=self.kind,
            document_year=self.year,
            statement_about=statement.organisation.name if statement is not None else None,
        )

    def claimed_kind(self) -> str | None:
        """The kind the document or, failing that, its receipt says it is (for usage errors only)."""
        if self.kind is not None:
            return self.kind.label
        return self.receipt.attestation.kind if self.receipt is not None else None


def verify_target(
    deployment: Deployment,
    target: str,
    *,
    org: str | None = None,
    require_coverage: bool = False,
    strict: bool = False,
    prover: Prover | None = None,
    credit_policy: CreditPolicy | None = None,
) -> Report:
    """Verify one file, receipt or digest; `require_coverage` makes figures without a live statement
    fail, `strict` makes warnings fail; with a `prover`, the state facts are proven (`proofs` line);
    `credit_policy` is what the retirement lines accept (default: `CreditPolicy()`)."""
    facts = LiveFacts(deployment)
    evidence = gather(
        facts,
        read_target(target),
        target,
        org,
        require_coverage,
        strict,
        credit_policy=credit_policy,
        prover=prover,
    )
    return finish(facts, evidence, prover)


def verify_pair(
    deployment: Deployment,
    figures_target: str,
    statement_target: str,
    *,
    org: str | None = None,
    require_coverage: bool = False,
    strict: bool = False,
    prover: Prover | None = None,
    credit_policy: CreditPolicy | None = None,
) -> tuple[Report, Report]:
    """Verify figures and a statement together: each on its own, then the statement against the figures.

    `org` picks the figures' organisation; the statement's is the verifier it names (or its receipt's).
    """
    facts = LiveFacts(deployment)
    f_target, s_target = read_target(figures_target), read_target(statement_target)
    if f_target.claimed_kind() not in ("figures", None):
        raise InputError(f"is {f_target.claimed_kind()}, not an esg-figures/1 document", path=figures_target)
    if s_target.claimed_kind() not in ("statement", None):
        raise InputError(
            f"is {s_target.claimed_kind()}, not a carbon-verification/1 statement",
            path=statement_target,
            field="--statement",
        )
    figures_report = finish(
        facts,
        gather(
            facts,
            f_target,
            figures_target,
            org,
            require_coverage,
            strict,
            credit_policy=credit_policy,
            prover=prover,
        ),
        prover,
    )
    s_evidence = gather(
        facts, s_target, statement_target, None, False, strict, credit_policy=credit_policy, prover=prover
    )
    checks = None
    retirements = s_evidence.retirement_checks
    records = s_evidence.record_checks
    if f_target.document is not None and s_target.document is not None:
        figures_doc, statement_doc = f_target.document.figures, s_target.document.statement
        if figures_doc is not None and statement_doc is not None:
            checks = cross_check(statement_doc, figures_doc)
            if retirements is not None and isinstance(statement_doc, CarbonVerificationV2):
                # the beneficiary is judged against the figures' organisation now that they are at hand
                retirements = retirement_checks(statement_doc, figures_doc, credit_policy or CreditPolicy())
            if records is not None and figures_report.attestation is not None:
                # and the registry's beneficiary may be the figures' legal name, where the statement's is it
                member = s_evidence.org_names.get(figures_report.attestation.org_id)
                # who anchored the pinned exports: as read (and proven) with the statement's evidence
                anchored = s_evidence.pinned_exports
                records = document_records(s_target, credit_policy, anchored, member, figures_doc)
    s_evidence = replace(
        s_evidence,
        paired=True,
        paired_figures=figures_report.attestation,
        cross_checks=checks,
        retirement_checks=retirements,
        record_checks=records,
    )
    return figures_report, finish(facts, s_evidence, prover)


def finish(facts: ChainFacts, evidence: Evidence, prover: Prover | None = None) -> Report:
    """The report the pure rules (`decide`) give for `evidence`, with the anchoring block's time
    (and the revoking block's, when it was revoked), and the `proofs` and `logs` lines when a
    `prover` proves its state facts against a trusted block; with a prover, a revocation after its
    block that another node holds counts too (attest.app.window)."""
    if prover is not None:
        from attest.app.window import others_revocations

        evidence = others_revocations(evidence, prover)
    report = decide(evidence)
    if report.attestation is not None:
        report.anchored_at = facts.block_timestamp(report.attestation.block_number)
        revocation = report.attestation.revocation
        if revocation is not None:
            try:  # for the plain summary only: a block the node cannot date leaves it undated
                report.revoked_at = facts.block_timestamp(revocation.block_number)
            except ChainError:
                report.revoked_at = None
    if prover is not None:
        prover.attach(report, evidence)
    else:
        rest(
            report,
            Grounds.node_only("no trusted block was settled: the node's answers as they came"),
            require=False,
        )
    return report


def gather(
    facts: ChainFacts,
    t: Target,
    subject: str,
    org: str | None,
    require_coverage: bool,
    strict: bool = False,
    *,
    credit_policy: CreditPolicy | None = None,
    prover: Prover | None = None,
) -> Evidence:
    """Everything the rules need about target `t`, asked of `facts` (the chain); nothing decided yet.
    What it reads and relies on is kept in `Evidence.read`, for the provers; with a `prover`, how
    deep its trusted block vouches an attestation is (`Evidence.vouched_head`)."""
    from attest.app.credits import statement_credits

    facts = Reading(facts, prover)  # what is read is proven as it is read (with a prover)
    history = facts.membership_history()
    names = history.organisation_names()
    expected, source, conflicts = _whose_attestation_counts(facts, t, org, names)

    merkle_ok = None
    lookup = t.lookup
    if t.receipt is not None and t.receipt.merkle is not None:
        from attest.core.batch_receipt import verify_batch_receipt

        merkle_ok = verify_batch_receipt(t.receipt)
    if expected is not None:  # its slot proven too: a record the node leaves out is found
        facts.expect(attestation_uid(expected, bytes.fromhex(lookup)))
    attestations = facts.attestations_of_digest(lookup)
    head = facts.head()
    at, now = {}, {}
    for a in attestations:
        at[a.uid] = history.standing(a.attester, (a.block_number, a.log_index))
        now[a.uid] = history.standing(a.attester, (head + 1, 0))
    chosen = [a for a in attestations if expected is None or a.org_id == expected]
    covering: list[OnchainAttestation] = []
    referenced = None
    statement_doc = t.document.statement if t.document is not None else None
    credits, figures_credits, retirements = None, [], None
    if len(chosen) == 1:
        if chosen[0].kind is Kind.FIGURES:
            covering = facts.covering_statements(chosen[0].uid)
            claimed = facts.neutrality_claims([s.uid for s in covering if not s.revoked])
            figures_credits = [
                statement_credits(facts, s, None, chosen[0]) for s in covering if s.uid.lower() in claimed
            ]
        elif chosen[0].ref != ZERO_REF:
            referenced = facts.reference_of(chosen[0])
        if chosen[0].kind is Kind.STATEMENT:
            credits = statement_credits(facts, chosen[0], statement_doc, referenced, schema=t.schema)
    retirements = document_retirements(t, credit_policy)
    # whom the credits are for, as the chain records it (never the statement's own word)
    own = credits.own if credits is not None and credits.own is not None else None
    beneficiary_org = own[0] if own is not None else (referenced.org_id if referenced is not None else None)
    member = names.get(beneficiary_org) if beneficiary_org is not None else None
    pinned = _pinned_exports(facts, t, names)
    records = document_records(t, credit_policy, pinned, member)
    if records is None and len(chosen) == 1 and chosen[0].kind is Kind.STATEMENT:
        records = records_not_at_hand(t, credit_policy)
    same_year: list[OnchainAttestation] = []
    if not chosen and expected is not None and t.year is not None:
        same_year = [a for a in facts.attestations_by_org(expected) if a.year == t.year]
    receipt_hash = None
    if t.receipt is not None:
        receipt_hash = facts.block_hash(t.receipt.chain.block_number)
    return Evidence(
        target=t.facts(subject, merkle_ok),
        deployment=facts.deployment_facts(),
        head=head,
        attestations=attestations,
        standing_at_attest=at,
        standing_now=now,
        org_names=names,
        expected_org=expected,
        expected_org_source=source,
        organisation_conflicts=conflicts,
        receipt_block_hash_on_chain=receipt_hash,
        covering_statements=covering,
        same_org_year=same_year,
        referenced=referenced,
        require_coverage=require_coverage,
        retirement_checks=retirements,
        record_checks=records,
        pinned_exports=pinned,
        credits=credits,
        figures_credits=figures_credits,
        strict=strict,
        history=history,
        read=facts.read,
        vouched_head=prover.vouched_head() if prover is not None else None,
    )


def document_retirements(t: Target, credit_policy: CreditPolicy | None = None) -> list[RuleCheck] | None:
    """The retirement rules of a `/2` statement's neutrality claim, judged on the document alone
    (None: not such a statement, or not at hand). Pure: every way of verifying runs them alike."""
    statement_doc = t.document.statement if t.document is not None else None
    if isinstance(statement_doc, CarbonVerificationV2) and statement_doc.neutrality_claim is not None:
        return retirement_checks(statement_doc, None, credit_policy or CreditPolicy())
    return None


def _pinned_exports(facts: ChainFacts, t: Target, names: dict[int, str]) -> dict[str, str]:
    """Who anchored each registry export a statement pins (sha256 → words), from the registry."""
    statement_doc = t.document.statement if t.document is not None else None
    out = {}
    for sha in getattr(statement_doc, "registry_records_sha256", None) or ():
        found = [a for a in facts.attestations_of_digest(sha) if not a.revoked]
        if found:
            out[sha] = "anchored by " + ", ".join(
                f"{names.get(a.org_id, '?')} (org #{a.org_id}) at block {a.block_number}" for a in found
            )
    return out


def document_records(
    t: Target,
    credit_policy: CreditPolicy | None = None,
    anchored: dict[str, str] | None = None,
    member: str | None = None,
    figures: EsgFigures | None = None,
) -> list[Line] | None:
    """Each retirement of a `/2` statement against the registries' records the policy holds (None:
    not such a statement, or not at hand); where no records can be given, lines saying so. The
    beneficiary must be `member` (the admitted name of the organisation the credits are for, from the
    chain), or the legal name the figures at hand give the statement's (`beneficiary_names`)."""
    from attest.core.registry_records import beneficiary_names, record_lines

    statement_doc = t.document.statement if t.document is not None else None
    if isinstance(statement_doc, CarbonVerificationV2) and statement_doc.neutrality_claim is not None:
        policy = credit_policy or CreditPolicy()
        names = beneficiary_names(statement_doc, member, figures)
        return record_lines(statement_doc, policy.registry_records, policy.require_registry, anchored, names)
    return None


def records_not_at_hand(t: Target, credit_policy: CreditPolicy | None) -> list[Line] | None:
    """The `credit records` line of a statement verified without its document (by digest or receipt)
    when registry records were given or required: nothing can be checked, and the line says so —
    `info`, failing with --require-registry — rather than the auditor's requirement vanishing."""
    policy = credit_policy or CreditPolicy()
    if t.document is not None or (policy.registry_records is None and not policy.require_registry):
        return None
    status: Status = "fail" if policy.require_registry else "info"
    more = " (--require-registry)" if policy.require_registry else ""
    return [
        (
            "credit records",
            status,
            f"not checked{more}: the statement document is not at hand (verified by its "
            f"{'receipt' if t.receipt is not None else 'digest'}), so its retirements cannot be read; "
            "give the document itself to check them against the registry records",
        )
    ]


def _whose_attestation_counts(
    facts: ChainFacts, t: Target, org: str | None, names: dict[int, str]
) -> tuple[int | None, str | None, list[str]]:
    """(organisation id, why that one, conflicts). A structured document names its author (figures:
    the bank; statements: the verifier) and only that organisation's attestation counts; `--org` and
    a receipt — both written by whoever hands the file over — can narrow, never override: when they
    point elsewhere, that is a conflict and the verdict fails."""
    named = t.named_org
    if named is None:
        if org is not None:
            return organisation_id(org, names), "--org", []
        if t.receipt is not None:
            return t.receipt.attestation.org_id, "receipt", []
        return None, None, []
    ids = holders(named, names)  # names are unique once normalised (attest.core.names), never exact only
    if not ids:  # a verdict, not an error: one such document must not stop a directory or a page
        return (
            None,
            None,
            [f"the document names organisation {named!r}, which is not an admitted member"],
        )
    expected, conflicts = ids[0], []
    if len(ids) > 1:
        conflicts.append(
            f"several admitted organisations are named {named!r} ({', '.join(f'#{i}' for i in ids)}): "
            "the name does not tell which one published this"
        )
    others = []
    if org is not None and organisation_id(org, names) != expected:
        others.append(f"--org {org} is organisation #{organisation_id(org, names)}")
    if t.receipt is not None and t.receipt.attestation.org_id != expected:
        others.append(f"the receipt says organisation #{t.receipt.attestation.org_id}")
    if others:
        conflicts.append(
            f"the document names {named!r} (org #{expected}); {' and '.join(others)}: only the "
            "named organisation's attestation counts"
        )
    return expected, "named in the document", conflicts


def _document_beside(receipt_file: Path, receipt: Receipt) -> tuple[Path | None, list[str]]:
    """The document a receipt is evidence about: the file it sits beside, by the receipt's own file
    name (`<name>.receipt.json` is about `<name>`), which must agree with the name it records."""
    problems = []
    recorded = receipt.document.name
    plain = bool(recorded) and recorded not in (".", "..") and "/" not in recorded and "\\" not in recorded
    if not plain:
        problems.append(f"the receipt names its document {recorded!r}, which is not a file name")
    named_for_it = plain and receipt_name(recorded) == receipt_file.name
    if receipt_file.name.endswith(RECEIPT_SUFFIX) and not named_for_it:
        stem = receipt_file.name.removesuffix(RECEIPT_SUFFIX)
        problems.append(
            f"the receipt {receipt_file.name} sits beside {stem!r}, but it describes {recorded!r}"
        )
        return None, problems
    if not plain:
        return None, problems
    return receipt_file.with_name(recorded), problems


def read_target(target: str, *, in_directory: bool = False, beside: str | None = None) -> Target:
    """Digest a target (a document, a receipt with or without its document, or a bare digest).

    `in_directory`: the receipt was found by walking a directory (`attest.app.bulk.expand_targets`),
    where it is evidence about the document beside it, `beside` (None when there is none): a receipt
    whose document is missing there, or that describes another file, is then a receipt problem, not
    a receipt verified alone.
    """
    match = _DIGEST.match(target)
    path = Path(target)
    if match and not path.exists():
        return Target(match.group(1).lower(), "given as a bare digest")
    if not path.exists():
        raise InputError("no such file (and not a sha256 digest)", path=target)
    if path.suffix.lower() == ".json" and path.is_file():
        obj = read_json_document(path)
        if is_receipt(obj):
            receipt = parse_receipt(obj, path=path)
            doc_path, problems = _document_beside(path, receipt)
            if in_directory:
                problems.extend(_directory_problems(path, receipt, doc_path, beside))
            if doc_path is None or not doc_path.is_file():
                detail = "from the receipt; document not at hand"
                return Target(receipt.document.digest, detail, receipt, receipt_problems=tuple(problems))
            # what the document is comes from its content, never from the receipt's digest_rule
            doc = hash_document(doc_path)
            mismatch = None
            if doc.digest != receipt.document.digest:
                mismatch = (
                    f"{doc_path.name} has sha256 {doc.digest} ({doc.rule_text}), the receipt says "
                    f"{receipt.document.digest}: the document was changed after publishing, or the "
                    "receipt is not its receipt"
                )
            return Target(
                doc.digest,
                f"{doc.rule_text} of {doc_path.name}",
                receipt,
                mismatch,
                doc,
                tuple(problems),
            )
    doc = hash_document(path)
    return Target(doc.digest, doc.rule_text, document=doc)


def _directory_problems(
    receipt_file: Path, receipt: Receipt, doc_path: Path | None, beside: str | None
) -> list[str]:
    """What is wrong with a receipt found in a directory, about the document beside it."""
    problems: list[str] = []
    if doc_path is None:
        return problems  # not bound to any file name: already a problem
    if beside is not None and doc_path.name != Path(beside).name:
        problems.append(
            f"beside the receipt {receipt_file.name} is {Path(beside).name!r}, which it does not describe "
            f"(it describes {receipt.document.name!r}): that file has no receipt of its own here"
        )
    elif not doc_path.is_file():
        problems.append(
            f"its document {receipt.document.name!r} is not in the directory: a receipt proves nothing "
            "about a file that is not there"
        )
    return problems
