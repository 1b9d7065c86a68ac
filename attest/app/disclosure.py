"""Selective disclosure: prove one figure of a published document without revealing the others.

Why a second tree: the figures attestation anchors the digest of the whole document, which proves
nothing about one figure unless the whole document is handed over. So the bank also anchors the root
of a *private-data* tree over its figures (the layout of EAS private data), and can later hand anyone
one metric, its salt and its Merkle path.

Choice (documented in docs/disclosure.md): `attest publish disclosure-root FIGURES` builds the tree, writes it
with its salts to `<name>.disclosure.json` next to the figures (private: keep it like a key — whoever
holds it can disclose any figure), and anchors the root as a `Kind.DISCLOSURE` attestation with the
figures' reporting year, by the organisation the figures name, whose `ref` is that organisation's
figures attestation. Re-running reuses the same file (same salts, same root) and anchors nothing twice.

One root per figures, on-chain: the registry binds the root to the figures attestation and refuses a
second (`DisclosureAlreadyBound`; a revoked root keeps the slot), so a bank cannot show one reader
a tree with one value and another reader a tree with another. `verify-disclosure` accepts only the
root the registry binds to the figures the proof names (read from the chain, never from the proof).
The tree itself is still the publisher's word: a leaf may carry another value than the figures, or
the tree hide leaves it does not list. `audit-disclosure FIGURES TREE` recomputes every leaf and the
root from the figures and the tree's salts; a verifier who did so names the root in its statement
(`disclosure_root` of carbon-verification/1), and `verify-disclosure --statement` reports the tree
as audited by it. Without such a statement it says the value rests on the publisher's tree.

Leaves are OpenZeppelin StandardMerkleTree leaves with encoding ["string","string","bytes","bytes32"]
= (type "metric", name = the metric code, value = RFC 8785 canonical JSON bytes of that metric object,
salt = 32 random bytes). The salt makes a leaf unguessable: without it nobody can test candidate
values of an undisclosed figure against the root.

One more leaf binds the tree to the published figures: (type "document", name "sha256-rfc8785",
value = the figures' 32-byte digest, salt). Every proof carries that leaf and its path too, so
`verify-disclosure` checks that the root commits to figures the same organisation anchored (as
FIGURES, for the same year, not revoked or superseded) — a root over other values than the
published ones names other figures and fails. The figures must be anchored before their root is.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attest.app.anchor import anchor_one
from attest.chain.deployment import AnchorRequest, Deployment
from attest.core.canonical import canonical_bytes
from attest.core.contracts import Kind
from attest.core.documents import HashedDocument, hash_document, read_json_document
from attest.core.errors import InputError
from attest.core.grounds import Ground
from attest.core.manifest import write_atomic
from attest.core.merkle import StandardMerkleTree, verify_proof
from attest.core.records import Published, attestation_uid
from attest.core.sidefiles import disclosure_tree_path
from attest.core.verification import Check, Report, attestation_status

if TYPE_CHECKING:
    from attest.app.journal import Journal
    from attest.app.proven import Prover
    from attest.chain.signer import Signer
    from attest.core.records import OnchainAttestation

LEAF_ENCODING = ("string", "string", "bytes", "bytes32")
LEAF_TYPE = "metric"
DOCUMENT_LEAF_TYPE, DOCUMENT_DIGEST_RULE = "document", "sha256-rfc8785"
TREE_SCHEMA = "esg-attest/disclosure-tree/2"  # /1 had no document leaf: its proofs named no figures
PROOF_SCHEMA = "esg-attest/disclosure/2"


def tree_path(figures: Path) -> Path:
    """`figures.json` → `figures.disclosure.json`: where the salted tree (private) is kept."""
    return disclosure_tree_path(figures)


def metric_leaf(metric: dict[str, Any], salt: bytes) -> list[Any]:
    """The leaf value of one metric object: (type, code, canonical JSON bytes, salt)."""
    return [LEAF_TYPE, str(metric["code"]), canonical_bytes(metric), salt]


def document_leaf(digest: bytes, salt: bytes) -> list[Any]:
    """The leaf that names the figures the tree belongs to: (type, digest rule, digest, salt)."""
    return [DOCUMENT_LEAF_TYPE, DOCUMENT_DIGEST_RULE, digest, salt]


def read_figures(path: Path) -> tuple[dict[str, Any], str, str, int]:
    """(raw document object, digest, organisation name, year) of a valid esg-figures/1 file."""
    doc = hash_document(path, structured=True)
    if doc.figures is None:
        raise InputError("selective disclosure needs an esg-figures/1 document", path=path, field="schema")
    raw = read_json_document(path)
    assert isinstance(raw, dict)  # a valid figures document is an object
    return raw, doc.digest, doc.figures.organisation.name, doc.figures.reporting_year


def build_tree(figures: Path) -> dict[str, Any]:
    """A fresh salted tree over every metric of `figures`, as the JSON written to the tree file."""
    raw, digest, org, year = read_figures(figures)
    values = [metric_leaf(m, secrets.token_bytes(32)) for m in raw["metrics"]]
    values.append(document_leaf(bytes.fromhex(digest), secrets.token_bytes(32)))
    tree = StandardMerkleTree.of(values, LEAF_ENCODING)
    return {
        "schema": TREE_SCHEMA,
        "figures": figures.name,
        "figures_digest": digest,
        "organisation": org,
        "year": year,
        "root": tree.root,
        "tree": tree.dump(),
    }


def load_tree(path: Path) -> tuple[dict[str, Any], StandardMerkleTree]:
    obj = read_json_document(path)
    if isinstance(obj, dict) and obj.get("schema") == "esg-attest/disclosure-tree/1":
        raise InputError(
            "an older tree (disclosure-tree/1) that does not name the figures: move it away and run "
            "`attest publish disclosure-root` again",
            path=path,
            field="schema",
        )
    if not isinstance(obj, dict) or obj.get("schema") != TREE_SCHEMA:
        raise InputError(f"not a disclosure tree file ({TREE_SCHEMA})", path=path, field="schema")
    try:
        tree = StandardMerkleTree.load(obj["tree"])
    except KeyError:
        raise InputError("missing", path=path, field="tree") from None
    except InputError as exc:
        raise InputError(exc.detail, path=path, field="tree") from None
    if tuple(tree.leaf_encoding) != LEAF_ENCODING or tree.root != obj.get("root"):
        raise InputError("leaf encoding or root does not match", path=path, field="tree")
    return obj, tree


@dataclass(frozen=True)
class RootPublished:
    tree_file: Path
    root: str
    published: Published
    reused_tree: bool


def publish_disclosure_root(
    deployment: Deployment, account: Signer, figures: Path, *, journal: Journal | None = None
) -> RootPublished:
    """Write (or reuse) the salted tree of `figures` and anchor its root for the figures' year, bound
    to their attestation (through `attest.app.anchor`: with a `journal`, recorded before it is sent).
    Figures that already have a root accept only that root's tree: nothing is written or sent."""
    _raw, digest, org, year = read_figures(figures)
    org_id = deployment.account_org(account.address)
    names = deployment.membership_history().organisation_names()
    if names.get(org_id) != org:
        raise InputError(
            f"the figures name organisation {org!r}, but this account signs for "
            f"{names.get(org_id, 'no organisation')!r}",
            path=figures,
            field="organisation.name",
        )
    figures_attestation = deployment.attestation_of(org_id, digest)
    if figures_attestation is None:
        raise InputError(
            "publish the figures first (attest publish figures): a disclosure root is checked against them",
            path=figures,
        )
    figures_uid = figures_attestation.uid
    # refuse now a root that verify-disclosure could never accept; confirmations only need time,
    # so figures published a moment ago may carry their root at once
    _, problems, _ = _figures_standing(deployment, org_id, org, digest, year, waive_confirmations=True)
    if problems:
        raise InputError(f"these figures cannot carry a disclosure root: {problems}", path=figures)
    out = tree_path(figures)
    reused = out.exists()
    if reused:
        data, _tree = load_tree(out)
        if data.get("figures_digest") != digest:
            raise InputError(
                f"{out.name} was built for other content (sha256 {data.get('figures_digest')}); "
                "move it away to build a new tree",
                path=figures,
            )
    bound = deployment.disclosure_of(figures_uid)
    if bound is not None:  # the one root these figures will ever have: only its own tree may go on
        bound_root = _root_of(deployment, bound)
        if not reused or data.get("root") != bound_root:
            this = f", not from {out.name} (root {data.get('root')})" if reused else ""
            raise InputError(
                f"figures attestation {figures_uid} already has its disclosure root {bound_root} "
                f"(attestation {bound}) and the registry refuses a second: disclose from that root's "
                f"tree{this}, or restate the figures to disclose from a new tree",
                path=figures,
            )
    if not reused:
        data = build_tree(figures)
    data["chain_id"] = deployment.manifest.chain_id
    data["registry"] = deployment.manifest.registry.address
    data["figures_uid"] = figures_uid
    _write_private(out, data)  # before anchoring: a crash after it must not lose the salts
    root = str(data["root"])
    request = AnchorRequest(
        root.removeprefix("0x"), Kind.DISCLOSURE, year, ref=figures_uid, label=f"disclosure root of {figures}"
    )
    published = anchor_one(deployment, account, request, journal=journal).unwrap()
    a = published.attestation
    if a.kind is not Kind.DISCLOSURE or a.ref.lower() != figures_uid.lower():
        raise InputError(
            f"{org} already anchored root {root} as {a.kind.label} (attestation {a.uid}), not as the "
            f"disclosure root of figures attestation {figures_uid}: move {out.name} away to build a new tree",
            path=figures,
        )
    data["attestation_uid"] = a.uid
    _write_private(out, data)
    return RootPublished(out, root, published, reused)


def _root_of(deployment: Deployment, disclosure_uid: str) -> str:
    """The root (0x-hex) a disclosure attestation anchors."""
    a = deployment.attestation(disclosure_uid)
    assert a is not None  # the registry binds only attestations it holds, and never deletes one
    return "0x" + a.digest


def _figures_standing(
    deployment: Deployment,
    org_id: int,
    org: str,
    digest: str,
    year: int,
    *,
    waive_confirmations: bool = False,
    prover: Prover | None = None,
) -> tuple[OnchainAttestation | None, str, Report]:
    """Figures `digest`, why they cannot back a disclosure for `year` ("" when they can), and their
    report: they must be anchored by this organisation as FIGURES for that year, and still current
    (with a `prover`, their record proven at its trusted block: a contradiction is a reason too)."""
    from attest.app.verify import verify_target

    report = verify_target(deployment, digest, org=str(org_id), prover=prover)
    a, named = report.attestation, f"figures sha256 {digest}"
    if a is None or a.kind is not Kind.FIGURES:
        return a, f"{named} are not anchored as figures by {org}", report
    if a.year != year:
        return a, f"{named} are for {a.year}, the disclosure for {year}", report
    waived = ("confirmations",) if waive_confirmations else ()
    failed = [c.detail for c in report.checks if c.status == "fail" and c.name not in waived]
    return a, f"{named}: {'; '.join(failed)}" if failed else "", report


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Atomically write the tree file readable by its owner only: its salts unlock every figure."""
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode(), mode=0o600)


def disclose(figures: Path, code: str) -> dict[str, Any]:
    """The proof of one metric: the metric, its salt and path, and where its root is anchored."""
    data, tree = load_tree(tree_path(figures))
    raw, digest, _org, _year = read_figures(figures)
    if data.get("figures_digest") != digest:
        raise InputError("the figures changed since their disclosure tree was built", path=figures)
    entries = list(tree.entries())
    document = next(
        ((i, v) for i, v in entries if v[0] == DOCUMENT_LEAF_TYPE and v[2] == "0x" + digest), None
    )
    if document is None:
        raise InputError("the disclosure tree names no figures digest: build it again", path=figures)
    for index, value in entries:
        if value[0] == LEAF_TYPE and value[1] == code:
            metric = next(m for m in raw["metrics"] if m["code"] == code)
            if bytes.fromhex(value[2].removeprefix("0x")) != canonical_bytes(metric):
                raise InputError("the tree's leaf does not match the figures", path=figures, field=code)
            return {
                "schema": PROOF_SCHEMA,
                "metric": metric,
                "leaf_encoding": list(LEAF_ENCODING),
                "value": value,
                "salt": value[3],
                "proof": tree.get_proof(index),
                "root": tree.root,
                "organisation": data["organisation"],
                "year": data["year"],
                "registry": data.get("registry"),
                "chain_id": data.get("chain_id"),
                "attestation_uid": data.get("attestation_uid"),
                "figures": {"digest": digest, "value": document[1], "proof": tree.get_proof(document[0])},
            }
    codes = ", ".join(str(v[1]) for _, v in entries if v[0] == LEAF_TYPE)
    raise InputError(f"no metric {code!r} in the disclosure tree (it has: {codes})", field="--metric")


@dataclass(frozen=True)
class DisclosureResult:
    metric: dict[str, Any]
    checks: list[Check]
    root_report: Report | None
    audited_by: str | None = None  # the verification body whose statement names this root

    @property
    def verified(self) -> bool:
        return all(c.status != "fail" for c in self.checks) and self.root_report is not None

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "metric": self.metric,
            "verified": self.verified,
            "audited_by": self.audited_by,
            "checks": [asdict(c) for c in self.checks],
        }


def parse_proof(path: Path) -> dict[str, Any]:
    obj = read_json_document(path)
    if isinstance(obj, dict) and obj.get("schema") == "esg-attest/disclosure/1":
        raise InputError(
            "an older proof (disclosure/1) that does not name the figures: ask for a new one", path=path
        )
    if not isinstance(obj, dict) or obj.get("schema") != PROOF_SCHEMA:
        raise InputError(f"not a disclosure proof ({PROOF_SCHEMA})", path=path, field="schema")
    for key, kind in (
        ("metric", dict),
        ("value", list),
        ("proof", list),
        ("root", str),
        ("organisation", str),
        ("year", int),
        ("registry", str),
        ("chain_id", int),
    ):
        if not isinstance(obj.get(key), kind) or isinstance(obj.get(key), bool):
            raise InputError(f"missing or not a {kind.__name__}", path=path, field=key)
    bound = obj.get("figures")
    if not isinstance(bound, dict):
        raise InputError("missing or not an object", path=path, field="figures")
    for key, kind in (("digest", str), ("value", list), ("proof", list)):
        if not isinstance(bound.get(key), kind):
            raise InputError(f"missing or not a {kind.__name__}", path=path, field="figures." + key)
    if not re.fullmatch(r"[0-9a-f]{64}", bound["digest"]):
        raise InputError("not 64 lowercase hex digits", path=path, field="figures.digest")
    from pydantic import ValidationError

    from attest.core.figures import Metric

    try:
        Metric.model_validate(obj["metric"])
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(err["msg"], path=path, field="metric." + ".".join(map(str, err["loc"]))) from None
    return obj


def verify_disclosure(
    deployment: Deployment,
    proof_path: Path,
    *,
    statement: Path | None = None,
    prover: Prover | None = None,
) -> DisclosureResult:
    """Check a disclosure proof: its leaf is the metric, its path leads to the root, and the root is
    live and anchored by the organisation it names, for its year, in this deployment's registry, as
    the one root the registry binds to the figures the proof names. `statement`: a verification
    statement that names this root as audited (else the value rests on the publisher's tree).

    With a `prover` (a trusted block settled), every report asked of `verify_target` (the root, the
    figures, the statement) is proven like `attest verify`'s, and the binding itself (`bound`) is
    the registry's storage slot proven at that block, compared with the node's `disclosureOf`."""
    from attest.app.verify import verify_target

    p = parse_proof(proof_path)
    metric, value = p["metric"], p["value"]
    checks: list[Check] = []
    try:
        expected_leaf = metric_leaf(metric, bytes.fromhex(str(value[3]).removeprefix("0x")))
        leaf_ok = (
            len(value) == 4
            and value[0] == expected_leaf[0]
            and value[1] == expected_leaf[1]
            and value[2] == "0x" + expected_leaf[2].hex()
        )
    except (ValueError, IndexError, KeyError):
        leaf_ok = False
    checks.append(
        Check("leaf", "pass", f"the leaf is metric {metric['code']} with a 32-byte salt")
        if leaf_ok
        else Check("leaf", "fail", "the leaf's value is not this metric's canonical JSON")
    )
    try:
        proof_ok = leaf_ok and verify_proof(p["root"], LEAF_ENCODING, value, p["proof"])
    except InputError:
        proof_ok = False
    checks.append(
        Check("proof", "pass", f"the Merkle path leads from the leaf to root {p['root']}")
        if proof_ok
        else Check("proof", "fail", f"the Merkle path does not lead to root {p['root']}")
    )
    m = deployment.manifest
    same = p["chain_id"] == m.chain_id and p["registry"].lower() == m.registry.address.lower()
    checks.append(
        Check("registry", "pass", f"chain {m.chain_id}, registry {m.registry.address} (the manifest's)")
        if same
        else Check(
            "registry",
            "fail",
            f"the proof names chain {p['chain_id']} registry {p['registry']}, the manifest "
            f"chain {m.chain_id} registry {m.registry.address}",
        )
    )
    names = deployment.membership_history().organisation_names()
    if p["organisation"] not in names.values():
        checks.append(Check("anchored", "fail", f"{p['organisation']!r} is not an admitted organisation"))
        return DisclosureResult(metric, _grounded(checks, None, False), None)
    org_id = next(i for i, n in names.items() if n == p["organisation"])
    root_hex = p["root"].removeprefix("0x")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", root_hex):
        checks.append(Check("anchored", "fail", "the root is not a hash"))
        return DisclosureResult(metric, _grounded(checks, None, False), None)
    root_hex = root_hex.lower()
    report = verify_target(deployment, root_hex, org=str(org_id), prover=prover)
    checks.extend(c for c in report.checks if c.name not in ("digest", "coverage"))
    a = report.attestation
    if a is not None:
        fits = a.kind is Kind.DISCLOSURE and a.year == p["year"]
        checks.append(
            Check("year", "pass", f"the root is anchored as a disclosure root for {a.year}")
            if fits
            else Check(
                "year",
                "fail",
                f"the root is anchored as {a.kind.label} for {a.year}, "
                f"not as a disclosure root for {p['year']}",
            )
        )
    checks.append(_figures_check(deployment, p, org_id, prover))
    figures_uid = attestation_uid(org_id, bytes.fromhex(p["figures"]["digest"]))
    root_uid = attestation_uid(org_id, bytes.fromhex(root_hex))
    checks.append(_bound_check(deployment, figures_uid, root_uid, prover))
    audit, audited_by = _audit_check(deployment, figures_uid, "0x" + root_hex, statement, prover)
    checks.append(audit)
    require = prover is not None and prover.policy.require
    return DisclosureResult(
        metric, _grounded(checks, report, require), report if report.verified else None, audited_by
    )


def _resting_on(check: Check, report: Report) -> Check:
    """`check`, a line decided on `report` (the figures' or the statement's own verification), as
    firmly as that report rests on the chain: its weakest chain line."""
    ground, why = _weakest(report.checks)
    return replace(check, rests_on=ground.label, rests_on_detail=why)


def _weakest(lines: list[Check]) -> tuple[Ground, str]:
    """The weakest ground among `lines` that rest on the chain (the node's word when none does)."""
    chain = [c for c in lines if c.rests_on and c.rests_on != Ground.FILE.label]
    weakest = min((Ground.of_label(c.rests_on) for c in chain), default=Ground.NODE)
    why = next((c.rests_on_detail for c in chain if Ground.of_label(c.rests_on) is weakest), "")
    return weakest, why


#: What the `bound` line rests on when it is not proven: the node's `disclosureOf` answer.
DISCLOSURE_OF = "the node's disclosureOf answer"

#: A disclosure's own lines that rest on the proof file alone.
_FROM_THE_FILE = ("leaf", "proof", "registry")


def _grounded(checks: list[Check], root: Report | None, require: bool) -> list[Check]:
    """Each of a disclosure's own lines with what it rests on: what it says itself (the root's own
    lines, `bound`, and `figures` and `audit`, decided on their own reports: `_resting_on`), the
    proof file (leaf, path, registry), or else the chain as firmly as the root's own verification
    rests on it (its weakest chain line). With `require` (--require-proofs), a line resting on less
    than a proof fails, as the root's lines do."""
    weakest, why = _weakest(root.checks if root is not None else [])
    out = []
    for c in checks:
        if not c.rests_on:
            ground, because = (
                (Ground.FILE, "the disclosure proof file") if c.name in _FROM_THE_FILE else (weakest, why)
            )
            c = replace(c, rests_on=ground.label, rests_on_detail=because)
        if require and Ground.of_label(c.rests_on) < Ground.PROVEN and c.status != "fail":
            c = replace(
                c, status="fail", detail=f"{c.detail} — rests on {c.rests_on}: failed by --require-proofs"
            )
        out.append(c)
    return out


def _bound_check(deployment: Deployment, figures_uid: str, root_uid: str, prover: Prover | None) -> Check:
    """Whether the root is the one the registry binds to the figures: any other tree, however it was
    anchored, may hold other values than the ones every other reader is shown. The node's
    `disclosureOf` answer counts only as far as the binding's storage slot, proven at the prover's
    trusted block, agrees with it; the line says which it rests on."""
    bound = deployment.disclosure_of(figures_uid)
    basis = _binding_basis(deployment, figures_uid, bound, prover)
    if isinstance(basis, Check):
        return basis
    ground, because, rests = basis
    return replace(
        _bound_line(deployment, figures_uid, root_uid, bound, rests),
        rests_on=ground.label,
        rests_on_detail=because,
    )


def _bound_line(
    deployment: Deployment, figures_uid: str, root_uid: str, bound: str | None, rests: str
) -> Check:
    """The `bound` line for the node's answer `bound`, saying what it rests on (`rests`)."""
    if bound is None:
        return Check(
            "bound",
            "fail",
            f"no disclosure root is bound on-chain to figures attestation {figures_uid}: this root is "
            f"not the one every reader of these figures is shown ({rests})",
        )
    if bound.lower() != root_uid.lower():
        return Check(
            "bound",
            "fail",
            f"figures attestation {figures_uid} is bound on-chain to disclosure root "
            f"{_named_root(deployment, bound)} (attestation {bound}), not to this root ({rests})",
        )
    return Check(
        "bound",
        "pass",
        f"the one disclosure root bound on-chain to figures attestation {figures_uid} ({rests})",
    )


def _binding_basis(
    deployment: Deployment, figures_uid: str, said: str | None, prover: Prover | None
) -> tuple[Ground, str, str] | Check:
    """What the node's answer `said` (the root bound to `figures_uid`) rests on — its ground, why,
    and the words the line says (`proven at block N …` or `node's word: …`) — or the failed `bound`
    line when the proofs contradict it, or when `--require-proofs` finds nothing proven."""
    held = prover.prove_disclosure_binding(figures_uid) if prover is not None else None
    if prover is None or held is None or prover.header is None:
        why = prover.unproven if prover is not None and prover.unproven else "no proofs asked for"
        if prover is not None and prover.policy.require:
            return Check(
                "bound",
                "fail",
                f"unproven: the root bound to figures attestation {figures_uid} is the node's word "
                f"({why}) (--require-proofs)",
                Ground.NODE.label,
                DISCLOSURE_OF,
            )
        return Ground.NODE, DISCLOSURE_OF, f"node's word: {why}"
    at, node = prover.trusted_block, prover.node
    proven = None if int(held, 16) == 0 else held
    answer = f"disclosure attestation {said}" if said is not None else "no disclosure root"
    if proven is not None and (said is None or said.lower() != proven.lower()):
        # once bound, the slot is never cleared or changed: a later answer must be the same
        return Check(
            "bound",
            "fail",
            f"node {node} contradicts proofs at {at}: the registry's storage binds figures "
            f"attestation {figures_uid} to disclosure attestation {proven} (proven), the node says "
            f"{answer}",
        )
    if proven is None and said is not None:
        record = deployment.attestation(said)
        if record is None or record.block_number <= prover.header.number:
            return Check(
                "bound",
                "fail",
                f"node {node} contradicts proofs at {at}: no disclosure root is bound to figures "
                f"attestation {figures_uid} at that block (proven), the node says {answer}"
                + (f", anchored in block {record.block_number}" if record is not None else ""),
            )
        why = f"bound in block {record.block_number}, after the trusted {at}: not proven yet"
        if prover.policy.require:
            return Check(
                "bound", "fail", f"unproven: {why} (--require-proofs)", Ground.NODE.label, DISCLOSURE_OF
            )
        return Ground.NODE, DISCLOSURE_OF, f"node's word: {why}"
    ground, because = prover.trusted_ground()
    return ground, because, f"proven at {at}"


def _named_root(deployment: Deployment, disclosure_uid: str) -> str:
    """The root a disclosure attestation anchors, as the node gives it (for the reader only)."""
    a = deployment.attestation(disclosure_uid)
    return "(a record the node does not give)" if a is None else "0x" + a.digest


def _audit_check(
    deployment: Deployment, figures_uid: str, root: str, statement: Path | None, prover: Prover | None
) -> tuple[Check, str | None]:
    """Who audited the tree behind the value: a verification statement that verifies, covers these
    figures and names this root. Without one the reader is told the value rests on the publisher's
    tree (a warning: the proof still shows what the publisher committed to)."""
    if statement is None:
        live = [
            s for s in deployment.covering_statements(figures_uid) if not s.revoked and not s.superseded_by
        ]
        hint = (
            f"{len(live)} current verification statement(s) cover these figures: pass one with "
            "--statement to see whether it audited this tree"
            if live
            else "no current verification statement covers these figures"
        )
        return Check("audit", "warn", f"the value rests on the publisher's tree ({hint})"), None
    from attest.app.verify import verify_target

    doc = read_statement(statement)
    assert doc.statement is not None  # read_statement refuses anything else
    report = verify_target(deployment, str(statement), prover=prover)
    a, named = report.attestation, doc.statement.disclosure_root
    problems = []
    if report.digest != doc.digest:
        problems.append("it changed while it was read")
    if not report.verified:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in report.checks if c.status == "fail")
        problems.append(f"it does not verify ({failed or 'see attest verify'})")
    if a is not None and a.ref.lower() != figures_uid.lower():
        problems.append(f"it covers attestation {a.ref}, not these figures ({figures_uid})")
    if named is None:
        problems.append("it names no disclosure_root: its verifier audited no disclosure tree")
    elif named != root:
        problems.append(f"it names disclosure root {named}, not {root}")
    if problems or a is None:
        detail = f"the value rests on the publisher's tree: statement {statement} does not back it: "
        return _resting_on(Check("audit", "fail", detail + "; ".join(problems)), report), None
    by = doc.statement.verifier.name
    return (
        _resting_on(
            Check(
                "audit",
                "pass",
                f"tree audited by {by} (org #{a.org_id}): statement attestation {a.uid} covers these "
                f"figures, names root {root} and is {attestation_status(a)}",
            ),
            report,
        ),
        by,
    )


def read_statement(path: Path) -> HashedDocument:
    """A `carbon-verification/1` statement file, strictly parsed, or InputError naming `--statement`."""
    doc = hash_document(path, structured=True)
    if doc.statement is None:
        raise InputError("not a carbon-verification/1 statement", path=path, field="--statement")
    return doc


def _figures_check(deployment: Deployment, p: dict[str, Any], org_id: int, prover: Prover | None) -> Check:
    """Whether the root commits to figures this organisation anchored for this year, and they are live."""
    bound = p["figures"]
    digest, value = bound["digest"], bound["value"]
    try:
        salt = bytes.fromhex(str(value[3]).removeprefix("0x"))
        expected = document_leaf(bytes.fromhex(digest), salt)
        committed = (
            len(value) == 4
            and value[:2] == expected[:2]
            and value[2] == "0x" + digest
            and verify_proof(p["root"], LEAF_ENCODING, value, bound["proof"])
        )
    except (ValueError, IndexError, InputError):
        committed = False
    if not committed:
        return Check("figures", "fail", f"the root does not commit to figures sha256 {digest}")
    a, problems, report = _figures_standing(
        deployment, org_id, p["organisation"], digest, p["year"], prover=prover
    )
    if problems or a is None:
        return _resting_on(Check("figures", "fail", problems), report)
    return _resting_on(
        Check(
            "figures",
            "pass",
            f"the root commits to figures sha256 {digest}, anchored as figures for {a.year} by "
            f"{p['organisation']} (org #{org_id}) in block {a.block_number}, current",
        ),
        report,
    )


# ---------------------------------------------------------------- audit-disclosure


@dataclass(frozen=True)
class Mismatch:
    """One way a tree departs from the figures (or from the chain): `leaf` is the metric code, or
    document / tree / root / figures."""

    leaf: str
    detail: str


@dataclass(frozen=True)
class AuditResult:
    figures: Path
    tree_file: Path
    root: str
    metrics: int
    mismatches: list[Mismatch]
    figures_uid: str | None
    disclosure_uid: str | None

    @property
    def audited(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {
            "figures": str(self.figures),
            "tree": str(self.tree_file),
            "audited": self.audited,
            "root": self.root,
            "metrics": self.metrics,
            "figures_uid": self.figures_uid,
            "disclosure_uid": self.disclosure_uid,
            "mismatches": [{"leaf": m.leaf, "detail": m.detail} for m in self.mismatches],
        }


def audit_disclosure(deployment: Deployment, figures: Path, tree_file: Path) -> AuditResult:
    """Recompute every leaf of `tree_file` and its root from `figures` and the tree's salts, and check
    the root is the one the registry binds to those figures: what a verifier does before it names the
    root in its statement. Nothing in the tree is believed but its salts."""
    raw, digest, org, year = read_figures(figures)
    data, tree = load_tree(tree_file)
    mismatches, root = compare_tree(raw, digest, data, tree), tree.root
    names = deployment.membership_history().organisation_names()
    ids = sorted(i for i, n in names.items() if n == org)
    figures_uid = disclosure_uid = None
    if not ids:
        mismatches.append(Mismatch("figures", f"they name {org!r}, which is not an admitted organisation"))
    else:
        figures_uid = attestation_uid(ids[0], bytes.fromhex(digest))
        _, problems, _ = _figures_standing(deployment, ids[0], org, digest, year, waive_confirmations=True)
        if problems:
            mismatches.append(Mismatch("figures", problems))
        disclosure_uid = deployment.disclosure_of(figures_uid)
        mismatches.extend(_bound_root(deployment, figures_uid, disclosure_uid, root))
    return AuditResult(figures, tree_file, root, len(raw["metrics"]), mismatches, figures_uid, disclosure_uid)


def _bound_root(
    deployment: Deployment, figures_uid: str, disclosure_uid: str | None, root: str
) -> list[Mismatch]:
    if disclosure_uid is None:
        return [
            Mismatch("root", f"no disclosure root is bound on-chain to figures attestation {figures_uid}")
        ]
    bound = deployment.attestation(disclosure_uid)
    assert bound is not None  # the registry binds only attestations it holds
    if "0x" + bound.digest != root:
        return [
            Mismatch(
                "root",
                f"figures attestation {figures_uid} is bound on-chain to root 0x{bound.digest} "
                f"(attestation {disclosure_uid}), not to {root}",
            )
        ]
    if bound.revoked:
        return [Mismatch("root", f"the bound root was {attestation_status(bound)}: it discloses nothing")]
    return []


def compare_tree(
    raw: dict[str, Any], digest: str, data: dict[str, Any], tree: StandardMerkleTree
) -> list[Mismatch]:
    """The mismatches between a tree and the figures it claims to be over, one per leaf (or per
    problem of the tree as a whole).

    Pure. The tree must hold exactly one leaf per metric, with the metric's canonical JSON, and one
    document leaf naming the figures' digest; and its root must be the root of those leaves alone,
    so that no leaf is hidden (a tree file can list fewer values than its tree has leaves).
    """
    metrics = {str(m["code"]): m for m in raw["metrics"]}
    by_code: dict[str, list[list[Any]]] = {}
    documents: list[list[Any]] = []
    out: list[Mismatch] = []
    for index, value in tree.entries():
        if value[0] == LEAF_TYPE:
            by_code.setdefault(str(value[1]), []).append(value)
        elif value[0] == DOCUMENT_LEAF_TYPE:
            documents.append(value)
        else:
            out.append(Mismatch(f"leaf {index}", f"unknown leaf type {value[0]!r}"))
    salts: dict[str, bytes] = {}
    for code, leaves in by_code.items():
        metric = metrics.get(code)
        if metric is None:
            out.append(Mismatch(code, "the tree has a leaf for this metric, the figures have no such metric"))
        elif len(leaves) > 1:
            out.append(
                Mismatch(code, f"{len(leaves)} leaves in the tree: each could be disclosed as this metric")
            )
        elif _bytes(leaves[0][2]) != canonical_bytes(metric):
            out.append(Mismatch(code, _leaf_difference(_bytes(leaves[0][2]), metric)))
        else:
            salts[code] = _bytes(leaves[0][3])
    out.extend(Mismatch(code, "no leaf in the tree") for code in metrics if code not in by_code)
    document_salt = None
    if len(documents) != 1:
        out.append(Mismatch("document", f"{len(documents)} document leaves in the tree, one expected"))
    elif documents[0][1] != DOCUMENT_DIGEST_RULE or documents[0][2] != "0x" + digest:
        out.append(
            Mismatch(
                "document", f"the tree's document leaf names figures {documents[0][2]}, these are 0x{digest}"
            )
        )
    else:
        document_salt = _bytes(documents[0][3])
    if data.get("figures_digest") != digest:
        out.append(
            Mismatch(
                "tree", f"the tree file says it was built for figures sha256 {data.get('figures_digest')}"
            )
        )
    leaves_in_tree, listed = (len(tree.dump()["tree"]) + 1) // 2, len(tree)
    if leaves_in_tree != listed:
        out.append(
            Mismatch(
                "tree",
                f"{leaves_in_tree} leaves but {listed} values listed: a hidden leaf can be disclosed too",
            )
        )
    if len(salts) != len(metrics) or document_salt is None:
        return out  # a leaf is already wrong: the root cannot be rebuilt from the figures
    values = [metric_leaf(m, salts[code]) for code, m in metrics.items()]
    values.append(document_leaf(bytes.fromhex(digest), document_salt))
    root = StandardMerkleTree.of(values, LEAF_ENCODING).root
    if root != tree.root:
        out.append(
            Mismatch(
                "root", f"the figures and the tree's salts give root {root}, the tree's root is {tree.root}"
            )
        )
    return out


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(str(value).removeprefix("0x"))


def _leaf_difference(leaf: bytes, metric: dict[str, Any]) -> str:
    """What a metric leaf says that the figures do not, field by field, as a reader would check it."""
    try:
        said = json.loads(leaf)
    except ValueError:
        said = None
    if not isinstance(said, dict):
        return "the tree's leaf is not a metric's JSON"
    fields = [
        f"{k}: the tree says {json.dumps(said.get(k), ensure_ascii=False)}, the figures "
        f"{json.dumps(metric.get(k), ensure_ascii=False)}"
        for k in sorted(set(said) | set(metric))
        if said.get(k) != metric.get(k)
    ]
    return "; ".join(fields) if fields else "the tree's leaf is this metric, but not its RFC 8785 form"
