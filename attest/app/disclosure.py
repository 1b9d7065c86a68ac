"""Selective disclosure: prove one figure of a published document without revealing the others.

Why a second tree: the figures attestation anchors the digest of the whole document, which proves
nothing about one figure unless the whole document is handed over. So the bank also anchors the root
of a *private-data* tree over its figures (the layout of EAS private data), and can later hand anyone
one metric, its salt and its Merkle path.

Choice (documented in README): `attest publish disclosure-root FIGURES` builds the tree, writes it
with its salts to `<name>.disclosure.json` next to the figures (private: keep it like a key — whoever
holds it can disclose any figure), and anchors the root as a `Kind.BATCH` attestation with the
figures' reporting year, by the organisation the figures name. Re-running reuses the same file (same
salts, same root) and anchors nothing twice.

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
from attest.chain.deployment import AnchorRequest, Deployment
from attest.core.canonical import canonical_bytes
from attest.core.contracts import Kind
from attest.core.documents import hash_document, read_json_document
from attest.core.errors import InputError
from attest.core.manifest import write_atomic
from attest.core.merkle import StandardMerkleTree, verify_proof
from attest.core.records import Published
from attest.core.sidefiles import disclosure_tree_path
from attest.core.verification import Check, Report

if TYPE_CHECKING:
    from attest.app.journal import Journal
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
    """Write (or reuse) the salted tree of `figures` and anchor its root for the figures' year
    (through `attest.app.anchor`: with a `journal`, recorded before it is sent)."""
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
    if deployment.attestation_of(org_id, digest) is None:
        raise InputError(
            "publish the figures first (attest publish figures): a disclosure root is checked against them",
            path=figures,
        )
    # refuse now a root that verify-disclosure could never accept; confirmations only need time,
    # so figures published a moment ago may carry their root at once
    _, problems = _figures_standing(deployment, org_id, org, digest, year, waive_confirmations=True)
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
    else:
        data = build_tree(figures)
    data["chain_id"] = deployment.manifest.chain_id
    data["registry"] = deployment.manifest.registry.address
    _write_private(out, data)  # before anchoring: a crash after it must not lose the salts
    root = str(data["root"])
    request = AnchorRequest(root.removeprefix("0x"), Kind.BATCH, year, label=f"disclosure root of {figures}")
    published = anchor_one(deployment, account, request, journal=journal).unwrap()
    data["attestation_uid"] = published.attestation.uid
    _write_private(out, data)
    return RootPublished(out, root, published, reused)


def _figures_standing(
    deployment: Deployment,
    org_id: int,
    org: str,
    digest: str,
    year: int,
    *,
    waive_confirmations: bool = False,
) -> tuple[OnchainAttestation | None, str]:
    """Figures `digest` and why they cannot back a disclosure for `year` ("" when they can): they
    must be anchored by this organisation as FIGURES for that year, and still current."""
    from attest.app.verify import verify_target

    report = verify_target(deployment, digest, org=str(org_id))
    a, named = report.attestation, f"figures sha256 {digest}"
    if a is None or a.kind is not Kind.FIGURES:
        return a, f"{named} are not anchored as figures by {org}"
    if a.year != year:
        return a, f"{named} are for {a.year}, the disclosure for {year}"
    waived = ("confirmations",) if waive_confirmations else ()
    failed = [c.detail for c in report.checks if c.status == "fail" and c.name not in waived]
    return a, f"{named}: {'; '.join(failed)}" if failed else ""


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

    @property
    def verified(self) -> bool:
        return all(c.status != "fail" for c in self.checks) and self.root_report is not None

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "metric": self.metric,
            "verified": self.verified,
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


def verify_disclosure(deployment: Deployment, proof_path: Path) -> DisclosureResult:
    """Check a disclosure proof: its leaf is the metric, its path leads to the root, and the root is
    live and anchored by the organisation it names, for its year, in this deployment's registry."""
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
        return DisclosureResult(metric, checks, None)
    org_id = next(i for i, n in names.items() if n == p["organisation"])
    try:
        root_hex = p["root"].removeprefix("0x")
        bytes.fromhex(root_hex)
    except ValueError:
        checks.append(Check("anchored", "fail", "the root is not a hash"))
        return DisclosureResult(metric, checks, None)
    report = verify_target(deployment, root_hex, org=str(org_id))
    for c in report.checks:
        if c.name in ("digest", "coverage"):
            continue
        checks.append(Check(c.name, c.status, c.detail))
    a = report.attestation
    if a is not None:
        fits = a.kind is Kind.BATCH and a.year == p["year"]
        checks.append(
            Check("year", "pass", f"the root is anchored as a private-data root for {a.year}")
            if fits
            else Check(
                "year", "fail", f"the root is anchored as {a.kind.label} for {a.year}, not batch {p['year']}"
            )
        )
    checks.append(_figures_check(deployment, p, org_id))
    return DisclosureResult(metric, checks, report if report.verified else None)


def _figures_check(deployment: Deployment, p: dict[str, Any], org_id: int) -> Check:
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
    a, problems = _figures_standing(deployment, org_id, p["organisation"], digest, p["year"])
    if problems or a is None:
        return Check("figures", "fail", problems)
    return Check(
        "figures",
        "pass",
        f"the root commits to figures sha256 {digest}, anchored as figures for {a.year} by "
        f"{p['organisation']} (org #{org_id}) in block {a.block_number}, current",
    )
