"""verify-disclosure's decisions: one ordered registry of check units over a disclosure's evidence.

Pure, as `attest.core.verification` is for `attest verify`: `attest.app.disclosure.verify_disclosure`
reads the proof file and asks the chain and the prover (its `gather_disclosure`), into a
`DisclosureEvidence`; `decide_disclosure` runs `DISCLOSURE_CHECKS` in order — `leaf`, `proof`,
`registry` (the proof file alone), the root's own verification (`attest verify`'s lines for its
digest), `year`, `figures`, `bound`, `audit` — and each of its own lines rests on the weakest of the
kinds of fact its unit decides on (`attest.core.verification.rested`, over `disclosure_grounds`),
failed by `--require-proofs` below a proof. The root's lines come tagged by their own verification.

The leaf layout lives here too, since the rules recompute leaves: a metric leaf is (type "metric",
the metric's code, its RFC 8785 canonical JSON, a 32-byte salt); the document leaf (type "document",
"sha256-rfc8785", the figures' digest, a salt) binds the tree to the figures (docs/disclosure.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from attest.core.canonical import canonical_bytes
from attest.core.contracts import Kind
from attest.core.errors import InputError
from attest.core.grounds import Ground, Grounds
from attest.core.merkle import verify_proof
from attest.core.records import OnchainAttestation, attestation_uid
from attest.core.verification import Check, CheckUnit, Report, attestation_status, rested

LEAF_ENCODING = ("string", "string", "bytes", "bytes32")
LEAF_TYPE = "metric"
DOCUMENT_LEAF_TYPE, DOCUMENT_DIGEST_RULE = "document", "sha256-rfc8785"
SALT_BYTES = 32

#: Why the `bound` line rests on the node's word when it does: the node's `disclosureOf` answer.
DISCLOSURE_OF = "the node's disclosureOf answer"


def metric_leaf(metric: Mapping[str, Any], salt: bytes) -> list[Any]:
    """The leaf value of one metric object: (type, code, canonical JSON bytes, salt)."""
    return [LEAF_TYPE, str(metric["code"]), canonical_bytes(metric), salt]


def document_leaf(digest: bytes, salt: bytes) -> list[Any]:
    """The leaf that names the figures the tree belongs to: (type, digest rule, digest, salt)."""
    return [DOCUMENT_LEAF_TYPE, DOCUMENT_DIGEST_RULE, digest, salt]


def root_digest(proof: Mapping[str, Any]) -> str | None:
    """The root a proof names, as a digest to look up (64 lower-case hex digits), or None when it is
    not a hash."""
    root = str(proof["root"]).removeprefix("0x")
    return root.lower() if re.fullmatch(r"[0-9a-fA-F]{64}", root) else None


def figures_problems(
    report: Report, digest: str, org: str, year: int, *, waive_confirmations: bool = False
) -> str:
    """Why figures `digest`, verified as `report` (by the organisation a disclosure names), cannot
    back a disclosure for `year` ("" when they can): they must be anchored by that organisation as
    FIGURES for that year, and every line of their verification must pass (with a prover, their
    record proven at its trusted block: a contradiction is a reason too). `waive_confirmations`: a
    root may be published on figures anchored a moment ago."""
    a, named = report.attestation, f"figures sha256 {digest}"
    if a is None or a.kind is not Kind.FIGURES:
        return f"{named} are not anchored as figures by {org}"
    if a.year != year:
        return f"{named} are for {a.year}, the disclosure for {year}"
    waived = ("confirmations",) if waive_confirmations else ()
    failed = [c.detail for c in report.checks if c.status == "fail" and c.name not in waived]
    return f"{named}: {'; '.join(failed)}" if failed else ""


@dataclass(frozen=True)
class Binding:
    """What is known of the disclosure root the registry binds to the figures: the node's
    `disclosureOf` answer and, when a trusted block was settled and the node serves proofs, the
    registry's `_disclosureOf` slot proven at that block (`attest.app.proven.Prover`)."""

    said: str | None  # the disclosure attestation the node says is bound (None: none)
    said_record: OnchainAttestation | None  # that attestation's record, as the node gives it
    held: str | None  # the slot proven at the trusted block (0x + 64 hex, zero: none bound); None: unproven
    unproven: str = ""  # why nothing was proven
    at: str = ""  # the trusted block as a line names it: `block N 0x… (hash agreed by …)`
    at_number: int = 0
    node: str = ""  # the node whose answers were compared with the proofs
    trusted: tuple[Ground, str] = (Ground.NODE, "")  # what a fact proven at the trusted block rests on


@dataclass(frozen=True)
class StatementEvidence:
    """The verification statement given with `--statement`: what its file says, and its own report."""

    path: str
    digest: str  # the file's digest as read (its report must be of the same bytes)
    disclosure_root: str | None  # the root it says its verifier audited
    verifier: str
    report: Report


@dataclass(frozen=True)
class DisclosureEvidence:
    """Everything `decide_disclosure` needs, gathered by `attest.app.disclosure.gather_disclosure`.
    Where a fact is None it was not asked: after an organisation the proof names that governance does
    not know, or a root that is not a hash, nothing more is (`anchored` fails)."""

    proof: Mapping[str, Any]  # the proof file (attest.app.disclosure.parse_proof): the publisher's word
    chain_id: int  # the manifest's
    registry: str  # the manifest's
    org_id: int | None  # the organisation the proof names, by governance's names (None: not admitted)
    root: Report | None = None  # the root's own verification: `attest verify ROOT --org ORG`
    figures: Report | None = None  # the figures' own verification: `attest verify DIGEST --org ORG`
    binding: Binding | None = None
    statement: StatementEvidence | None = None
    covering: tuple[OnchainAttestation, ...] = ()  # without --statement: the statements covering the figures
    require: bool = False  # --require-proofs

    def figures_uid(self) -> str:
        """The figures attestation the proof names: its organisation's, of its figures digest."""
        assert self.org_id is not None
        return attestation_uid(self.org_id, bytes.fromhex(self.proof["figures"]["digest"]))

    def root_uid(self) -> str:
        """The attestation of the root by the organisation the proof names."""
        root = root_digest(self.proof)
        assert self.org_id is not None and root is not None
        return attestation_uid(self.org_id, bytes.fromhex(root))


@dataclass(frozen=True)
class DisclosureResult:
    metric: dict[str, Any]
    checks: list[Check]
    root_report: Report | None  # the root's own verification, when it verified
    audited_by: str | None = None  # the verification body whose statement names this root

    @property
    def verified(self) -> bool:
        return all(c.status != "fail" for c in self.checks) and self.root_report is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "verified": self.verified,
            "audited_by": self.audited_by,
            "checks": [asdict(c) for c in self.checks],
        }


def decide_disclosure(ev: DisclosureEvidence) -> DisclosureResult:
    """Run every unit of `DISCLOSURE_CHECKS` in order; `year` only once the root's verification chose
    an attestation. Each line a unit makes says what it rests on (`rested`, over
    `disclosure_grounds`); the root's own lines already say so, from their own verification."""
    grounds = disclosure_grounds(ev)
    chosen = ev.root.attestation if ev.root is not None else None
    checks: list[Check] = []
    for unit in DISCLOSURE_CHECKS:
        if unit.rule is None or (chosen is None and unit.needs_attestation):
            continue
        for c in unit.rule(ev, chosen):
            checks.append(c if c.rests_on else rested(c, unit, grounds, require=ev.require))
    root = ev.root if ev.root is not None and ev.root.verified else None
    # the verifier named only where its line, as it rests, passed (not one --require-proofs failed)
    audited = any(c.name == "audit" and c.status == "pass" for c in checks)
    by = ev.statement.verifier if audited and ev.statement is not None else None
    return DisclosureResult(dict(ev.proof["metric"]), checks, root, by)


def disclosure_grounds(ev: DisclosureEvidence) -> Grounds:
    """How each kind of fact a disclosure's own lines decide on was established: a verification
    (`root`, `figures`, `statement`) as firmly as its weakest line; the `binding` as the prover proved
    it (`binding_ground`). Without `--statement` the audit's warning is the reader's choice: the file."""
    if ev.root is not None:
        root = weakest_line(ev.root.checks)
    elif ev.org_id is None:
        root = (Ground.NODE, "the organisations' names, as the node's governance events give them")
    else:
        root = (Ground.FILE, "the disclosure proof file")
    facts: dict[str, tuple[Ground, str]] = {"root": root}
    if ev.figures is not None:
        facts["figures"] = weakest_line(ev.figures.checks)
    if ev.binding is not None:
        facts["binding"] = binding_ground(ev.binding)
    facts["statement"] = (
        weakest_line(ev.statement.report.checks)
        if ev.statement is not None
        else (Ground.FILE, "no --statement given (the statements its warning counts are the node's logs)")
    )
    return Grounds(facts)


def weakest_line(lines: Sequence[Check]) -> tuple[Ground, str]:
    """The weakest ground among `lines` that rest on the chain, with why (the first such line's);
    the node's word when none does."""
    chain = [c for c in lines if c.rests_on and c.rests_on != Ground.FILE.label]
    weakest = min((Ground.of_label(c.rests_on) for c in chain), default=Ground.NODE)
    why = next((c.rests_on_detail for c in chain if Ground.of_label(c.rests_on) is weakest), "")
    return weakest, why


def binding_ground(b: Binding) -> tuple[Ground, str]:
    """What the `bound` line rests on: the slot proven at the trusted block (as firmly as that block
    is vouched for) — also when it contradicts the node — or the node's `disclosureOf` answer, where
    nothing was proven or the node says the root was bound after the trusted block."""
    if b.held is None or (_proven(b) is None and b.said is not None and _after_trusted(b)):
        return Ground.NODE, DISCLOSURE_OF
    return b.trusted


def _proven(b: Binding) -> str | None:
    """The disclosure attestation the proven slot binds (None: none bound, or nothing proven)."""
    return None if b.held is None or int(b.held, 16) == 0 else b.held


def _after_trusted(b: Binding) -> bool:
    """Whether the node says the attestation it names as bound was anchored after the trusted block."""
    return b.said_record is not None and b.said_record.block_number > b.at_number


# ---------------------------------------------------------------- the rules


def _leaf_problem(p: Mapping[str, Any]) -> str | None:
    """Why the proof's leaf value is not its metric's leaf — type, code, canonical JSON, a 32-byte
    salt — or None when it is."""
    value = p["value"]
    try:
        salt = bytes.fromhex(str(value[3]).removeprefix("0x"))
        expected = metric_leaf(p["metric"], salt)
        if not (
            len(value) == 4
            and value[0] == expected[0]
            and value[1] == expected[1]
            and value[2] == "0x" + expected[2].hex()
        ):
            return "the leaf's value is not this metric's canonical JSON"
    except (ValueError, IndexError, KeyError):
        return "the leaf's value is not this metric's canonical JSON"
    if len(salt) != SALT_BYTES:
        return f"the leaf's salt is {len(salt)} bytes, not {SALT_BYTES}: it does not hide the value"
    return None


def _leaf(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    problem = _leaf_problem(ev.proof)
    if problem is None:
        return [Check("leaf", "pass", f"the leaf is metric {ev.proof['metric']['code']} with a 32-byte salt")]
    return [Check("leaf", "fail", problem)]


def _path(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    p = ev.proof
    try:
        ok = _leaf_problem(p) is None and verify_proof(p["root"], LEAF_ENCODING, p["value"], p["proof"])
    except InputError:
        ok = False
    if ok:
        return [Check("proof", "pass", f"the Merkle path leads from the leaf to root {p['root']}")]
    return [Check("proof", "fail", f"the Merkle path does not lead to root {p['root']}")]


def _registry(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    p = ev.proof
    if p["chain_id"] == ev.chain_id and str(p["registry"]).lower() == ev.registry.lower():
        return [Check("registry", "pass", f"chain {ev.chain_id}, registry {ev.registry} (the manifest's)")]
    return [
        Check(
            "registry",
            "fail",
            f"the proof names chain {p['chain_id']} registry {p['registry']}, the manifest "
            f"chain {ev.chain_id} registry {ev.registry}",
        )
    ]


#: The root's lines a disclosure does not show: its digest is the proof's own root, and whether
#: statements cover the root is no question (the `audit` line asks it of the figures).
_ROOT_LINES_LEFT_OUT = ("digest", "coverage")


def _root(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    if ev.org_id is None:
        return [Check("anchored", "fail", f"{ev.proof['organisation']!r} is not an admitted organisation")]
    if root_digest(ev.proof) is None:
        return [Check("anchored", "fail", "the root is not a hash")]
    if ev.root is None:
        return []
    return [c for c in ev.root.checks if c.name not in _ROOT_LINES_LEFT_OUT]


def _year(ev: DisclosureEvidence, a: OnchainAttestation | None) -> list[Check]:
    assert a is not None  # a unit that needs the attestation
    year = ev.proof["year"]
    if a.kind is Kind.DISCLOSURE and a.year == year:
        return [Check("year", "pass", f"the root is anchored as a disclosure root for {a.year}")]
    return [
        Check(
            "year",
            "fail",
            f"the root is anchored as {a.kind.label} for {a.year}, not as a disclosure root for {year}",
        )
    ]


def _commits_to_figures(p: Mapping[str, Any]) -> bool:
    """Whether the proof's document leaf names its figures digest and its path leads to the root."""
    bound = p["figures"]
    digest, value = bound["digest"], bound["value"]
    try:
        salt = bytes.fromhex(str(value[3]).removeprefix("0x"))
        expected = document_leaf(bytes.fromhex(digest), salt)
        return bool(
            len(value) == 4
            and value[:2] == expected[:2]
            and value[2] == "0x" + digest
            and verify_proof(p["root"], LEAF_ENCODING, value, bound["proof"])
        )
    except (ValueError, IndexError, InputError):
        return False


def _figures(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    """Whether the root commits to figures this organisation anchored for this year, and they are live."""
    if ev.figures is None or ev.org_id is None:
        return []
    p = ev.proof
    digest, org = p["figures"]["digest"], p["organisation"]
    if not _commits_to_figures(p):
        return [Check("figures", "fail", f"the root does not commit to figures sha256 {digest}")]
    problems = figures_problems(ev.figures, digest, org, p["year"])
    a = ev.figures.attestation
    if problems or a is None:
        return [Check("figures", "fail", problems)]
    return [
        Check(
            "figures",
            "pass",
            f"the root commits to figures sha256 {digest}, anchored as figures for {a.year} by "
            f"{org} (org #{ev.org_id}) in block {a.block_number}, current",
        )
    ]


def _bound(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    """Whether the root is the one the registry binds to the figures: any other tree, however it was
    anchored, may hold other values than the ones every other reader is shown. The node's
    `disclosureOf` answer counts only as far as the binding's storage slot, proven at the prover's
    trusted block, agrees with it; the line says which it rests on."""
    b = ev.binding
    if b is None:
        return []
    figures_uid = ev.figures_uid()
    basis = _binding_words(b, figures_uid, ev.require)
    if isinstance(basis, Check):
        return [basis]
    rests = basis
    if b.said is None:
        return [
            Check(
                "bound",
                "fail",
                f"no disclosure root is bound on-chain to figures attestation {figures_uid}: this root is "
                f"not the one every reader of these figures is shown ({rests})",
            )
        ]
    if b.said.lower() != ev.root_uid().lower():
        named = "(a record the node does not give)" if b.said_record is None else "0x" + b.said_record.digest
        return [
            Check(
                "bound",
                "fail",
                f"figures attestation {figures_uid} is bound on-chain to disclosure root "
                f"{named} (attestation {b.said}), not to this root ({rests})",
            )
        ]
    return [
        Check(
            "bound",
            "pass",
            f"the one disclosure root bound on-chain to figures attestation {figures_uid} ({rests})",
        )
    ]


def _binding_words(b: Binding, figures_uid: str, require: bool) -> str | Check:
    """The words the `bound` line says of what the node's answer rests on (`proven at block N …` or
    `node's word: …`), or the failed line when the proofs contradict the answer, or when
    `--require-proofs` finds it unproven."""
    if b.held is None:
        if require:
            return Check(
                "bound",
                "fail",
                f"unproven: the root bound to figures attestation {figures_uid} is the node's word "
                f"({b.unproven}) (--require-proofs)",
                unproven=True,
            )
        return f"node's word: {b.unproven}"
    proven = _proven(b)
    answer = f"disclosure attestation {b.said}" if b.said is not None else "no disclosure root"
    if proven is not None and (b.said is None or b.said.lower() != proven.lower()):
        # once bound, the slot is never cleared or changed: a later answer must be the same
        return Check(
            "bound",
            "fail",
            f"node {b.node} contradicts proofs at {b.at}: the registry's storage binds figures "
            f"attestation {figures_uid} to disclosure attestation {proven} (proven), the node says "
            f"{answer}",
        )
    if proven is None and b.said is not None:
        record = b.said_record
        if not _after_trusted(b):
            return Check(
                "bound",
                "fail",
                f"node {b.node} contradicts proofs at {b.at}: no disclosure root is bound to figures "
                f"attestation {figures_uid} at that block (proven), the node says {answer}"
                + (f", anchored in block {record.block_number}" if record is not None else ""),
            )
        assert record is not None  # after the trusted block: the node gave its record
        why = f"bound in block {record.block_number}, after the trusted {b.at}: not proven yet"
        if require:
            return Check("bound", "fail", f"unproven: {why} (--require-proofs)", unproven=True)
        return f"node's word: {why}"
    return f"proven at {b.at}"


def _audit_problems(ev: DisclosureEvidence) -> list[str]:
    """Why the statement given does not back the tree ([] when it does, or none was given)."""
    s = ev.statement
    if s is None:
        return []
    root, a = "0x" + (root_digest(ev.proof) or ""), s.report.attestation
    problems = []
    if s.report.digest != s.digest:
        problems.append("it changed while it was read")
    if not s.report.verified:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in s.report.checks if c.status == "fail")
        problems.append(f"it does not verify ({failed or 'see attest verify'})")
    if a is not None and a.ref.lower() != ev.figures_uid().lower():
        problems.append(f"it covers attestation {a.ref}, not these figures ({ev.figures_uid()})")
    if s.disclosure_root is None:
        problems.append("it names no disclosure_root: its verifier audited no disclosure tree")
    elif s.disclosure_root != root:
        problems.append(f"it names disclosure root {s.disclosure_root}, not {root}")
    return problems


def _audit(ev: DisclosureEvidence, _: OnchainAttestation | None) -> list[Check]:
    """Who audited the tree behind the value: a verification statement that verifies, covers these
    figures and names this root. Without one the reader is told the value rests on the publisher's
    tree (a warning: the proof still shows what the publisher committed to)."""
    if ev.root is None:
        return []
    s = ev.statement
    if s is None:
        live = [x for x in ev.covering if not x.revoked and not x.superseded_by]
        hint = (
            f"{len(live)} current verification statement(s) cover these figures: pass one with "
            "--statement to see whether it audited this tree"
            if live
            else "no current verification statement covers these figures"
        )
        return [Check("audit", "warn", f"the value rests on the publisher's tree ({hint})")]
    problems, a = _audit_problems(ev), s.report.attestation
    if problems or a is None:
        detail = f"the value rests on the publisher's tree: statement {s.path} does not back it: "
        return [Check("audit", "fail", detail + "; ".join(problems))]
    return [
        Check(
            "audit",
            "pass",
            f"tree audited by {s.verifier} (org #{a.org_id}): statement attestation {a.uid} covers these "
            f"figures, names root 0x{root_digest(ev.proof)} and is {attestation_status(a)}",
        )
    ]


#: verify-disclosure's lines, in the order they are printed: the one registry of a disclosure
#: (docs/trust-model.md's second table is tested against it). `root` stands for the root's own lines.
DISCLOSURE_CHECKS: tuple[CheckUnit[DisclosureEvidence], ...] = (
    CheckUnit(
        "leaf",
        "the disclosed leaf is the metric's canonical JSON with a 32-byte salt",
        False,
        _leaf,
        facts=("file",),
    ),
    CheckUnit(
        "proof", "the leaf's Merkle path leads to the root the proof names", False, _path, facts=("file",)
    ),
    CheckUnit(
        "registry", "the proof names the manifest's chain and registry", False, _registry, facts=("file",)
    ),
    CheckUnit(
        "root",
        "the root's own lines, but digest and coverage: `attest verify` of it by the organisation named",
        False,
        _root,
        facts=("root",),
    ),
    CheckUnit(
        "year",
        "the root is anchored as a disclosure root for the proof's year",
        True,
        _year,
        facts=("file", "root"),
    ),
    CheckUnit(
        "figures",
        "the root commits to figures the organisation anchored for that year, and they verify",
        False,
        _figures,
        facts=("file", "figures"),
    ),
    CheckUnit(
        "bound",
        "the root is the one the registry binds to those figures",
        False,
        _bound,
        facts=("file", "binding"),
    ),
    CheckUnit(
        "audit",
        "with --statement: a statement that verifies, covers the figures and names this root",
        False,
        _audit,
        facts=("statement",),
    ),
)
