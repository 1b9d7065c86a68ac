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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attest.app.anchor import anchor_one
from attest.chain.anchoring import AnchorRequest
from attest.chain.deployment import Deployment
from attest.core.canonical import canonical_bytes
from attest.core.contracts import Kind
from attest.core.disclosure_checks import (
    DOCUMENT_DIGEST_RULE,
    DOCUMENT_LEAF_TYPE,
    LEAF_ENCODING,
    LEAF_TYPE,
    Binding,
    DisclosureEvidence,
    DisclosureResult,
    StatementEvidence,
    decide_disclosure,
    document_leaf,
    figures_problems,
    metric_leaf,
    root_digest,
)
from attest.core.documents import HashedDocument, hash_document, read_json_document
from attest.core.errors import InputError
from attest.core.manifest import write_atomic
from attest.core.merkle import StandardMerkleTree
from attest.core.records import Published, attestation_uid
from attest.core.sidefiles import disclosure_tree_path
from attest.core.verification import attestation_status

if TYPE_CHECKING:
    from attest.app.journal import Journal
    from attest.app.proven import Prover
    from attest.chain.signer import Signer
    from attest.core.records import OnchainAttestation

TREE_SCHEMA = "esg-attest/disclosure-tree/2"  # /1 had no document leaf: its proofs named no figures
PROOF_SCHEMA = "esg-attest/disclosure/2"


def tree_path(figures: Path) -> Path:
    """`figures.json` → `figures.disclosure.json`: where the salted tree (private) is kept."""
    return disclosure_tree_path(figures)


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
    # refuse now a root that verify-disclosure could never accept
    problems = _figures_problems(deployment, org_id, org, digest, year)
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


def _figures_problems(deployment: Deployment, org_id: int, org: str, digest: str, year: int) -> str:
    """Why figures `digest` cannot carry a disclosure root for `year` ("" when they can), from their
    verification by organisation `org_id` (`figures_problems`); confirmations only need time, so
    figures published a moment ago may carry their root at once."""
    from attest.app.verify import verify_target

    report = verify_target(deployment, digest, org=str(org_id))
    return figures_problems(report, digest, org, year, waive_confirmations=True)


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
    the registry's storage slot proven at that block, compared with the node's `disclosureOf`.
    The decision is `attest.core.disclosure_checks.decide_disclosure`'s, on what `gather_disclosure`
    read."""
    p = parse_proof(proof_path)
    return decide_disclosure(gather_disclosure(deployment, p, statement=statement, prover=prover))


def gather_disclosure(
    deployment: Deployment, p: dict[str, Any], *, statement: Path | None, prover: Prover | None
) -> DisclosureEvidence:
    """What verify-disclosure's rules decide on, for the parsed proof `p`: the organisation it names
    (by governance's names), the root's and the figures' own verifications (`attest verify` of each
    digest by that organisation), the root the node and the proofs say is bound to the figures, and
    the statement's verification (`statement`) or the statements covering the figures. Nothing is
    asked after an organisation governance does not know or a root that is not a hash."""
    from attest.app.verify import verify_target

    m = deployment.manifest
    names = deployment.membership_history().organisation_names()
    org_id = next((i for i, n in names.items() if n == p["organisation"]), None)
    ev = DisclosureEvidence(
        p,
        m.chain_id,
        m.registry.address,
        org_id,
        require=prover is not None and prover.policy.require,
    )
    root = root_digest(p)
    if org_id is None or root is None:
        return ev
    root_report = verify_target(deployment, root, org=str(org_id), prover=prover)
    figures_report = verify_target(deployment, p["figures"]["digest"], org=str(org_id), prover=prover)
    figures_uid = attestation_uid(org_id, bytes.fromhex(p["figures"]["digest"]))
    binding = _binding(deployment, figures_uid, prover)
    covering: tuple[OnchainAttestation, ...] = ()
    given = None
    if statement is None:
        covering = tuple(deployment.covering_statements(figures_uid))
    else:
        doc = read_statement(statement)
        assert doc.statement is not None  # read_statement refuses anything else
        given = StatementEvidence(
            str(statement),
            doc.digest,
            doc.statement.disclosure_root,
            doc.statement.verifier.name,
            verify_target(deployment, str(statement), prover=prover),
        )
    return DisclosureEvidence(
        p,
        ev.chain_id,
        ev.registry,
        org_id,
        root_report,
        figures_report,
        binding,
        given,
        covering,
        ev.require,
    )


def _binding(deployment: Deployment, figures_uid: str, prover: Prover | None) -> Binding:
    """The root the node says is bound to `figures_uid` (`disclosureOf`, and that attestation's
    record) and, with a prover that settled a trusted block and a node that serves proofs, the
    registry's slot proven at that block (a binding is never cleared or changed once set)."""
    said = deployment.disclosure_of(figures_uid)
    held = prover.prove_disclosure_binding(figures_uid) if prover is not None else None
    record = deployment.attestation(said) if said is not None else None
    if prover is None or held is None or prover.header is None:
        why = prover.unproven if prover is not None and prover.unproven else "no proofs asked for"
        return Binding(said, record, None, unproven=why)
    return Binding(
        said,
        record,
        held,
        at=prover.trusted_block,
        at_number=prover.header.number,
        node=prover.node,
        trusted=prover.trusted_ground(),
    )


def read_statement(path: Path) -> HashedDocument:
    """A `carbon-verification/1` statement file, strictly parsed, or InputError naming `--statement`."""
    doc = hash_document(path, structured=True)
    if doc.statement is None:
        raise InputError("not a carbon-verification/1 statement", path=path, field="--statement")
    return doc


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
        problems = _figures_problems(deployment, ids[0], org, digest, year)
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
