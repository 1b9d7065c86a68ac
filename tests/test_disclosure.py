"""Selective disclosure: salted EAS-style leaves, a root anchored by the bank, proofs any tool accepts."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REPO_ROOT, VERIFIER_NAME, Consortium
from web3.logs import DISCARD
from worlds import run_attest

from attest.app.disclosure import (
    LEAF_ENCODING,
    PROOF_SCHEMA,
    audit_disclosure,
    build_tree,
    disclose,
    publish_disclosure_root,
    tree_path,
    verify_disclosure,
)
from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.core.canonical import canonical_bytes
from attest.core.contracts import Kind
from attest.core.errors import InputError, TransactionReverted
from attest.core.merkle import StandardMerkleTree, standard_leaf_hash

METRIC = "E.paperless.paper_saved"


@pytest.fixture
def figures(tmp_path: Path) -> Path:
    path = tmp_path / "webank-2022-figures.json"
    shutil.copy(EXAMPLES / "webank-2022-figures.json", path)
    return path


def write(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj))
    return path


def checks(result: Any) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


def detail(result: Any, name: str) -> str:
    return next(c.detail for c in result.checks if c.name == name)


def anchor_figures(c: Consortium, path: Path) -> str:
    """The bank publishes the figures themselves (their root is checked against them); their uid."""
    return publish(c.dep, c.bank, path, kind=Kind.FIGURES).published.attestation.uid


def test_disclosed_figure_verifies_and_edits_do_not(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    dep = consortium.dep
    figures_uid = anchor_figures(consortium, figures)
    first = publish_disclosure_root(dep, consortium.bank, figures)
    assert not first.published.already_anchored and first.published.attestation.year == 2022
    assert tree_path(figures).stat().st_mode & 0o777 == 0o600
    again = publish_disclosure_root(dep, consortium.bank, figures)  # re-run: same salts, nothing sent
    assert again.reused_tree and again.published.already_anchored and again.root == first.root

    proof = disclose(figures, METRIC)
    assert proof["metric"]["code"] == METRIC and proof["root"] == first.root
    assert proof["organisation"] == "WeBank" and proof["year"] == 2022
    raw = json.loads(figures.read_text())
    assert len(json.dumps(proof)) < 3000 and len(raw["metrics"]) > 10  # small: one metric, not all
    others = [m["value"] for m in raw["metrics"] if m["code"] != METRIC]
    assert not any(json.dumps(v) in json.dumps(proof) for v in others if len(v) > 3)

    good = verify_disclosure(dep, write(tmp_path / "p.json", proof))
    assert good.verified, good.checks
    assert {
        "leaf",
        "proof",
        "registry",
        "anchored",
        "authorised",
        "status",
        "year",
        "figures",
        "bound",
    } <= set(checks(good))
    assert proof["figures"]["digest"] in next(c.detail for c in good.checks if c.name == "figures")
    assert first.published.attestation.kind is Kind.DISCLOSURE
    assert first.published.attestation.ref == figures_uid
    assert dep.disclosure_of(figures_uid) == first.published.attestation.uid
    assert checks(good)["bound"] == "pass" and checks(good)["audit"] == "warn" and good.audited_by is None
    assert "rests on the publisher's tree" in detail(good, "audit")

    edited = json.loads(json.dumps(proof))
    edited["metric"]["value"] = "1"
    bad = verify_disclosure(dep, write(tmp_path / "edited.json", edited))
    assert not bad.verified and checks(bad)["leaf"] == "fail" and checks(bad)["proof"] == "fail"

    forged = json.loads(json.dumps(edited))  # a consistent leaf for the edited value: no path to the root
    forged["value"][2] = (
        "0x" + json.dumps(forged["metric"], sort_keys=True, separators=(",", ":")).encode().hex()
    )
    bad = verify_disclosure(dep, write(tmp_path / "forged.json", forged))
    assert not bad.verified and checks(bad)["proof"] == "fail"

    # the leaf line says its salt is 32 bytes: a shorter one (which hides nothing) is not
    short = json.loads(json.dumps(proof))
    short["value"][3] = short["value"][3][:4]
    bad = verify_disclosure(dep, write(tmp_path / "short-salt.json", short))
    assert not bad.verified and checks(bad)["leaf"] == "fail", bad.checks
    assert detail(bad, "leaf") == "the leaf's salt is 1 bytes, not 32: it does not hide the value"

    other_org = dict(proof, organisation="Rival Bank")
    bad = verify_disclosure(dep, write(tmp_path / "rival.json", other_org))
    assert not bad.verified and checks(bad)["anchored"] == "fail"

    wrong_year = dict(proof, year=2021)
    bad = verify_disclosure(dep, write(tmp_path / "year.json", wrong_year))
    assert not bad.verified and checks(bad)["year"] == "fail"

    # the root must commit to the figures the proof names, and those must be the anchored ones
    other_digest = dict(proof, figures=dict(proof["figures"], digest="ab" * 32))
    bad = verify_disclosure(dep, write(tmp_path / "other-digest.json", other_digest))
    assert not bad.verified and checks(bad)["figures"] == "fail" and checks(bad)["proof"] == "pass"
    no_binding = dict(proof, figures=dict(proof["figures"], proof=[]))
    bad = verify_disclosure(dep, write(tmp_path / "no-binding.json", no_binding))
    assert not bad.verified and checks(bad)["figures"] == "fail"

    revoke(dep, consortium.bank, figures_uid, "withdrawn")  # the figures go: their disclosures fail
    bad = verify_disclosure(dep, write(tmp_path / "p.json", proof))
    assert not bad.verified and checks(bad)["figures"] == "fail" and checks(bad)["status"] == "pass"
    assert "revoked" in next(c.detail for c in bad.checks if c.name == "figures")

    revoke(dep, consortium.bank, first.published.attestation.uid, "restated")
    bad = verify_disclosure(dep, write(tmp_path / "p.json", proof))
    assert not bad.verified and checks(bad)["status"] == "fail" and checks(bad)["proof"] == "pass"


def test_leaves_are_salted_so_undisclosed_figures_cannot_be_guessed(
    consortium: Consortium, figures: Path
) -> None:
    anchor_figures(consortium, figures)
    publish_disclosure_root(consortium.dep, consortium.bank, figures)
    proof = disclose(figures, METRIC)
    tree = json.loads(tree_path(figures).read_text())
    salts = {v["value"][3] for v in tree["tree"]["values"]}
    assert len(salts) == len(tree["tree"]["values"])  # one fresh salt per leaf
    # the same metric without its salt (or with a guessed one) gives a leaf that is not in the tree
    metric = proof["metric"]
    unsalted = standard_leaf_hash(LEAF_ENCODING, ["metric", METRIC, proof["value"][2], "0x" + "00" * 32])
    assert "0x" + unsalted.hex() not in tree["tree"]["tree"]
    # two trees over the same figures have different roots: nothing about the values leaks through it
    assert build_tree(figures)["root"] != build_tree(figures)["root"] != tree["root"]
    assert metric["code"] == METRIC


def test_bad_input(consortium: Consortium, figures: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"disclosure\.json"):
        disclose(figures, METRIC)  # no tree yet
    with pytest.raises(InputError, match="publish the figures first"):
        publish_disclosure_root(consortium.dep, consortium.bank, figures)
    assert not tree_path(figures).exists()
    anchor_figures(consortium, figures)
    publish_disclosure_root(consortium.dep, consortium.bank, figures)
    with pytest.raises(InputError, match="--metric"):
        disclose(figures, "E.no.such")
    with pytest.raises(InputError, match="WeBank"):
        publish_disclosure_root(consortium.dep, consortium.rival, figures)  # the figures name another org
    with pytest.raises(InputError, match="field 'year'"):
        verify_disclosure(
            consortium.dep, write(tmp_path / "x.json", dict(disclose(figures, METRIC), year="2022"))
        )
    with pytest.raises(InputError, match=r"field 'metric\.value'"):
        p = disclose(figures, METRIC)
        p["metric"]["value"] = 1.5
        verify_disclosure(consortium.dep, write(tmp_path / "y.json", p))


JS_VERIFY = r"""
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const p = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const ok = StandardMerkleTree.verify(p.root, p.leaf_encoding, p.value, p.proof);
const guess = [p.value[0], p.value[1], p.value[2], '0x' + '00'.repeat(32)];
const bad = StandardMerkleTree.verify(p.root, p.leaf_encoding, guess, p.proof);
const figures = StandardMerkleTree.verify(p.root, p.leaf_encoding, p.figures.value, p.figures.proof);
process.stdout.write(JSON.stringify({ ok, bad, figures }));
"""


def test_openzeppelin_js_library_accepts_the_proof(consortium: Consortium, figures: Path) -> None:
    anchor_figures(consortium, figures)
    publish_disclosure_root(consortium.dep, consortium.bank, figures)
    node = shutil.which("node")
    assert node is not None, "node is needed (make setup installs the Node tools)"
    for code in (METRIC, "S.customers.individual"):
        done = subprocess.run(
            [node, "-e", JS_VERIFY],
            input=json.dumps(disclose(figures, code)),
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=60,
            check=True,
        )
        assert json.loads(done.stdout) == {"ok": True, "bad": False, "figures": True}


@pytest.mark.anvil
def test_cli_publish_disclose_verify(anvil_consortium: Consortium, figures: Path, tmp_path: Path) -> None:
    from attest.chain.keystore import create_keystore

    c = anvil_consortium
    manifest = write(tmp_path / "manifest.json", json.loads(c.dep.manifest.dump()))
    keystore = tmp_path / "bank.keystore.json"
    create_keystore(keystore, "pw-for-test", private_key=c.bank.key.hex())
    env = dict(ATTEST_PASSWORD="pw-for-test", ATTEST_DEPLOYMENT=str(manifest), ATTEST_RPC_URL=c.chain.name)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return run_attest(*args, env=env, cwd=tmp_path, timeout=120)

    done = run("publish", "disclosure-root", figures, "--keystore", keystore, "--json")
    assert done.returncode == 2 and "publish the figures first" in done.stderr  # nothing to bind to yet
    assert run("publish", "figures", figures, "--keystore", keystore).returncode == 0
    done = run("publish", "disclosure-root", figures, "--keystore", keystore, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["already_anchored"] is False
    proof = tmp_path / "proof.json"
    done = run("disclose", figures, "--metric", METRIC, "--out", proof)
    assert done.returncode == 0, done.stderr
    done = run("verify-disclosure", proof)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ proof" in done.stdout and "✓ anchored" in done.stdout and "✓ status" in done.stdout
    assert "✓ figures" in done.stdout
    edited = json.loads(proof.read_text())
    edited["metric"]["value"] = "2"
    done = run("verify-disclosure", write(tmp_path / "edited.json", edited))
    assert done.returncode == 1 and "✗ proof" in done.stdout
    done = run("verify-disclosure", write(tmp_path / "broken.json", {"schema": "esg-attest/disclosure/1"}))
    assert done.returncode == 2 and "broken.json" in done.stderr and len(done.stderr.splitlines()) == 1
    done = run("disclose", figures, "--metric", "E.nope")
    assert done.returncode == 2 and "E.nope" in done.stderr


def test_no_root_for_figures_that_are_revoked(consortium: Consortium, figures: Path) -> None:
    uid = anchor_figures(consortium, figures)
    revoke(consortium.dep, consortium.bank, uid, "withdrawn")
    head = consortium.chain.head()
    with pytest.raises(InputError, match=r"cannot carry a disclosure root.*revoked"):
        publish_disclosure_root(consortium.dep, consortium.bank, figures)
    assert consortium.chain.head() == head and not tree_path(figures).exists()


# -- one root per figures, bound on-chain; audit-disclosure; "tree audited by"

STATEMENT = EXAMPLES / "illustrative-carbon-verification-2022.json"
Values = list[list[Any]]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def reverts(error_name: str) -> Iterator[pytest.ExceptionInfo[TransactionReverted]]:
    with pytest.raises(TransactionReverted) as exc:
        yield exc
    assert exc.value.error_name == error_name, str(exc.value)


def variant(figures: Path, path: Path, value: str) -> Path:
    """Other figures of the same bank and year (another document, another digest)."""
    obj = json.loads(figures.read_text())
    next(m for m in obj["metrics"] if m["code"] == METRIC)["value"] = value
    return write(path, obj)


def metric_of(value: list[Any]) -> dict[str, Any]:
    metric: dict[str, Any] = json.loads(bytes.fromhex(value[2][2:]))
    return metric


def with_value(value: str) -> Callable[[Values], Values]:
    """An edit of a tree's leaves: METRIC's leaf says `value` (the rest, salts included, unchanged)."""

    def edit(values: Values) -> Values:
        for v in values:
            if v[0] == "metric" and v[1] == METRIC:
                v[2] = "0x" + canonical_bytes({**metric_of(v), "value": value}).hex()
        return values

    return edit


def hand_tree(figures: Path, out: Path, edit: Callable[[Values], Values]) -> StandardMerkleTree:
    """A tree the bank builds by hand over `figures` (fresh salts, the document leaf naming them),
    its leaves edited, written to `out` as `publish disclosure-root` writes a tree file."""
    data = build_tree(figures)
    tree = StandardMerkleTree.of(edit([e["value"] for e in data["tree"]["values"]]), LEAF_ENCODING)
    write(out, {**data, "root": tree.root, "tree": tree.dump()})
    return tree


def proof_from(c: Consortium, tree: StandardMerkleTree, pick: Callable[[list[Any]], bool]) -> dict[str, Any]:
    """The proof of the first metric leaf `pick` chooses, as `attest disclose` writes one."""
    entries = list(tree.entries())
    index, value = next((i, v) for i, v in entries if v[0] == "metric" and pick(v))
    doc_index, doc = next((i, v) for i, v in entries if v[0] == "document")
    m = c.dep.manifest
    return {
        "schema": PROOF_SCHEMA,
        "metric": metric_of(value),
        "leaf_encoding": list(LEAF_ENCODING),
        "value": value,
        "salt": value[3],
        "proof": tree.get_proof(index),
        "root": tree.root,
        "organisation": "WeBank",
        "year": 2022,
        "registry": m.registry.address,
        "chain_id": m.chain_id,
        "attestation_uid": None,
        "figures": {"digest": doc[2][2:], "value": doc, "proof": tree.get_proof(doc_index)},
    }


def of_metric(v: list[Any]) -> bool:
    return bool(v[1] == METRIC)


def test_registry_binds_one_disclosure_root_per_figures(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    c, dep = consortium, consortium.dep
    figures_uid = anchor_figures(c, figures)
    first = dep.attest(c.bank, sha("root one"), Kind.DISCLOSURE, 2022, ref=figures_uid).attestation
    assert dep.disclosure_of(figures_uid) == first.uid and first.ref == figures_uid
    receipt = c.chain.w3.eth.get_transaction_receipt(first.transaction_hash)  # type: ignore[arg-type]
    (bound,) = dep.registry.events.DisclosureBound().process_receipt(receipt, errors=DISCARD)
    assert ("0x" + bound["args"]["figuresUid"].hex(), "0x" + bound["args"]["disclosureUid"].hex()) == (
        figures_uid,
        first.uid,
    )
    # ATTACK: a second root for the same figures, with other values in its leaves
    with reverts("DisclosureAlreadyBound") as exc:
        dep.attest(c.bank, sha("root two"), Kind.DISCLOSURE, 2022, ref=figures_uid)
    assert f"figuresUid={figures_uid}, existing={first.uid}" in str(exc.value)
    assert dep.attestation_of(c.bank_id, sha("root two")) is None
    # nobody else can take the slot (squatting), and a root must disclose figures
    with reverts("NotYourAttestation"):
        dep.attest(c.rival, sha("squat"), Kind.DISCLOSURE, 2022, ref=figures_uid)
    with reverts("DisclosureNeedsFigures"):
        dep.attest(c.bank, sha("of nothing"), Kind.DISCLOSURE, 2022)
    file_uid = dep.attest(c.bank, sha("a file"), Kind.FILE, 2022).attestation.uid
    with reverts("NotFigures"):
        dep.attest(c.bank, sha("of a file"), Kind.DISCLOSURE, 2022, ref=file_uid)
    # a revoked root keeps the slot: revoke-and-rebind would be a second root, one reader at a time
    revoke(dep, c.bank, first.uid, "the tree was lost")
    with reverts("DisclosureAlreadyBound"):
        dep.attest(c.bank, sha("root three"), Kind.DISCLOSURE, 2022, ref=figures_uid)
    assert dep.disclosure_of(figures_uid) == first.uid
    # restated figures get a root of their own; the replaced and the revoked take none
    old = anchor_figures(c, variant(figures, tmp_path / "old.json", "1"))
    new = publish(dep, c.bank, variant(figures, tmp_path / "new.json", "2"), kind=Kind.FIGURES, ref=old)
    with reverts("AlreadySuperseded"):
        dep.attest(c.bank, sha("of replaced figures"), Kind.DISCLOSURE, 2022, ref=old)
    restated = new.published.attestation.uid
    assert (
        dep.attest(c.bank, sha("of restated"), Kind.DISCLOSURE, 2022, ref=restated).attestation.ref
        == restated
    )
    withdrawn = anchor_figures(c, variant(figures, tmp_path / "withdrawn.json", "3"))
    revoke(dep, c.bank, withdrawn, "withdrawn")
    with reverts("AttestationIsRevoked"):
        dep.attest(c.bank, sha("of withdrawn"), Kind.DISCLOSURE, 2022, ref=withdrawn)
    assert dep.disclosure_of(old) is None and dep.disclosure_of(withdrawn) is None


def test_gas_of_publishing_a_disclosure_root(consortium: Consortium, figures: Path) -> None:
    # Measured with solc 0.8.28, optimizer 200 runs, paris: 88,424 gas. As a batch attestation with no
    # link to the figures it cost 59,290; the binding adds 29,134: a new storage slot (22,100), three cold
    # reads (the figures' record, their replacement, their bound root), the DisclosureBound event.
    anchor_figures(consortium, figures)
    gas = publish_disclosure_root(consortium.dep, consortium.bank, figures).published.gas_used
    assert gas is not None and gas <= 89_000, gas


def test_a_second_root_for_the_same_figures_is_refused_before_anything_is_sent(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    c, dep = consortium, consortium.dep
    figures_uid = anchor_figures(c, figures)
    first = publish_disclosure_root(dep, c.bank, figures)
    copy = figures.with_name("copy.json")  # the same figures: a fresh tree would have other salts
    shutil.copy(figures, copy)
    head = c.chain.head()
    with pytest.raises(InputError, match=f"already has its disclosure root {first.root}"):
        publish_disclosure_root(dep, c.bank, copy)
    assert not tree_path(copy).exists()
    tree_path(figures).rename(tmp_path / "moved-away.json")  # a lost tree is not replaced either
    with pytest.raises(InputError, match=r"refuses a second.*restate the figures"):
        publish_disclosure_root(dep, c.bank, figures)
    assert c.chain.head() == head and not tree_path(figures).exists()
    with reverts("DisclosureAlreadyBound"):  # and the registry refuses it to anyone who sends it anyway
        dep.attest(c.bank, build_tree(copy)["root"][2:], Kind.DISCLOSURE, 2022, ref=figures_uid)


def test_verify_disclosure_accepts_only_the_root_bound_to_the_figures(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    """ATTACK: the bank keeps a second tree over the same figures in which a metric shows another
    value, anchors its root in a way the registry does not refuse, and hands a reader its proof."""
    c, dep = consortium, consortium.dep
    anchor_figures(c, figures)
    honest = publish_disclosure_root(dep, c.bank, figures)
    # (1) its root anchored as a batch: not bound to anything
    batch = hand_tree(figures, tmp_path / "batch-tree.json", with_value("1"))
    dep.attest(c.bank, batch.root[2:], Kind.BATCH, 2022)
    bad = verify_disclosure(dep, write(tmp_path / "batch.json", proof_from(c, batch, of_metric)))
    assert not bad.verified and checks(bad)["bound"] == "fail", bad.checks
    assert checks(bad)["proof"] == checks(bad)["figures"] == "pass"
    assert honest.root in detail(bad, "bound") and "not to this root" in detail(bad, "bound")
    # (2) its root anchored as the disclosure root of other figures of the bank, same year: it is
    # bound, only not to the figures the proof names; every other check passes
    other = anchor_figures(c, variant(figures, tmp_path / "other.json", "7"))
    elsewhere = hand_tree(figures, tmp_path / "elsewhere-tree.json", with_value("1"))
    dep.attest(c.bank, elsewhere.root[2:], Kind.DISCLOSURE, 2022, ref=other)
    bad = verify_disclosure(dep, write(tmp_path / "elsewhere.json", proof_from(c, elsewhere, of_metric)))
    assert not bad.verified and [n for n, st in checks(bad).items() if st == "fail"] == ["bound"], bad.checks
    assert honest.root in detail(bad, "bound")
    # (3) figures whose bank never published their root: no root is accepted for them at all
    lone = variant(figures, tmp_path / "lone.json", "8")
    anchor_figures(c, lone)
    unbound = hand_tree(lone, tmp_path / "unbound-tree.json", lambda v: v)
    dep.attest(c.bank, unbound.root[2:], Kind.BATCH, 2022)
    bad = verify_disclosure(dep, write(tmp_path / "unbound.json", proof_from(c, unbound, of_metric)))
    assert not bad.verified and "no disclosure root is bound" in detail(bad, "bound")
    # the honest proof still verifies
    assert verify_disclosure(dep, write(tmp_path / "honest.json", disclose(figures, METRIC))).verified


def test_audit_disclosure_recomputes_every_leaf_from_the_figures(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    c, dep = consortium, consortium.dep
    anchor_figures(c, figures)
    honest = publish_disclosure_root(dep, c.bank, figures)
    ok = audit_disclosure(dep, figures, honest.tree_file)
    assert ok.audited and ok.mismatches == [] and ok.root == honest.root
    assert ok.disclosure_uid == honest.published.attestation.uid
    assert ok.metrics == len(json.loads(figures.read_text())["metrics"])
    # a tree whose leaf says another value than the figures: the metric is named; its root is not bound
    hand_tree(figures, tmp_path / "lying.json", with_value("1"))
    bad = audit_disclosure(dep, figures, tmp_path / "lying.json")
    assert [m.leaf for m in bad.mismatches] == [METRIC, "root"], bad.mismatches
    assert bad.mismatches[0].detail.startswith('value: the tree says "1", the figures "')
    assert honest.root in bad.mismatches[1].detail


def test_a_bound_tree_that_lies_verifies_but_fails_its_audit(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    """ATTACK: the bank binds, as the one root of its figures, a tree whose leaf shows another value
    (or that hides a second leaf for a metric). Every reader is shown the same tree, and a proof from
    it verifies, with the warning that the value rests on the publisher's tree; the audit names it."""
    c, dep = consortium, consortium.dep
    lying_uid = anchor_figures(c, figures)
    lying = hand_tree(figures, tree_path(figures), with_value("1"))
    dep.attest(c.bank, lying.root[2:], Kind.DISCLOSURE, 2022, ref=lying_uid)
    shown = verify_disclosure(dep, write(tmp_path / "lying-proof.json", proof_from(c, lying, of_metric)))
    assert shown.verified and shown.metric["value"] == "1" and checks(shown)["audit"] == "warn"
    bad = audit_disclosure(dep, figures, tree_path(figures))
    assert [m.leaf for m in bad.mismatches] == [METRIC], bad.mismatches

    # hidden leaf: the tree file lists every honest leaf, but its tree holds one more for METRIC
    hiding = variant(figures, tmp_path / "hiding.json", "9")
    hiding_uid = anchor_figures(c, hiding)
    data = build_tree(hiding)
    honest_values = [e["value"] for e in data["tree"]["values"]]
    extra = with_value("1")([list(v) for v in honest_values if v[1] == METRIC])
    extra[0][3] = "0x" + "42" * 32
    full = StandardMerkleTree.of(honest_values + extra, LEAF_ENCODING)
    dumped = full.dump()
    dumped["values"] = [e for e in dumped["values"] if e["value"] != extra[0]]
    write(tree_path(hiding), {**data, "root": full.root, "tree": dumped})
    dep.attest(c.bank, full.root[2:], Kind.DISCLOSURE, 2022, ref=hiding_uid)
    hidden = proof_from(c, full, lambda v: of_metric(v) and metric_of(v)["value"] == "1")
    assert verify_disclosure(dep, write(tmp_path / "hidden-proof.json", hidden)).verified
    bad = audit_disclosure(dep, hiding, tree_path(hiding))
    assert [m.leaf for m in bad.mismatches] == ["tree", "root"], bad.mismatches
    assert "hidden leaf" in bad.mismatches[0].detail
    # the same extra leaf listed: two leaves for one metric
    write(tree_path(hiding), {**data, "root": full.root, "tree": full.dump()})
    bad = audit_disclosure(dep, hiding, tree_path(hiding))
    assert [m.leaf for m in bad.mismatches] == [METRIC] and "2 leaves" in bad.mismatches[0].detail


def test_audit_disclosure_names_each_missing_or_foreign_leaf(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    c, dep = consortium, consortium.dep
    anchor_figures(c, figures)
    publish_disclosure_root(dep, c.bank, figures)

    def drop_metric(values: Values) -> Values:
        return [v for v in values if v[1] != METRIC]

    def other_document(values: Values) -> Values:
        return [[*v[:2], "0x" + "ab" * 32, v[3]] if v[0] == "document" else v for v in values]

    def foreign(values: Values) -> Values:
        return [
            *values,
            ["metric", "E.invented", values[0][2], "0x" + "11" * 32],
            ["note", "x", "0x", values[0][3]],
        ]

    note = f"leaf {len(json.loads(figures.read_text())['metrics']) + 2}"  # after the metrics and the document
    for edit, leaves in (
        (drop_metric, [METRIC, "root"]),
        (other_document, ["document", "root"]),
        (foreign, [note, "E.invented", "root", "root"]),  # rebuilt from the figures; not the bound root
    ):
        hand_tree(figures, tmp_path / "tree.json", edit)
        found = [m.leaf for m in audit_disclosure(dep, figures, tmp_path / "tree.json").mismatches]
        assert found == leaves, (edit.__name__, found)


def test_a_statement_naming_the_root_reports_the_tree_audited(
    consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    c, dep = consortium, consortium.dep
    figures_uid = anchor_figures(c, figures)
    honest = publish_disclosure_root(dep, c.bank, figures)
    proof = write(tmp_path / "proof.json", disclose(figures, METRIC))

    def statement(name: str, *, covers: str | None = figures_uid, **changes: Any) -> Path:
        path = write(tmp_path / name, {**json.loads(STATEMENT.read_text()), **changes})
        if covers is not None:
            publish(dep, c.verifier, path, kind=Kind.STATEMENT, ref=covers)
        return path

    plain = verify_disclosure(dep, proof)
    assert checks(plain)["audit"] == "warn" and "no current verification statement" in detail(plain, "audit")
    audited = statement("audited.json", disclosure_root=honest.root)
    good = verify_disclosure(dep, proof, statement=audited)
    assert good.verified and checks(good)["audit"] == "pass" and good.audited_by == VERIFIER_NAME
    assert detail(good, "audit").startswith(f"tree audited by {VERIFIER_NAME} (org #{c.verifier_id})")
    plain = verify_disclosure(dep, proof)  # without the statement at hand: the value rests on the tree
    assert plain.verified and checks(plain)["audit"] == "warn" and plain.audited_by is None
    assert "rests on the publisher's tree (1 current verification statement(s)" in detail(plain, "audit")

    other = anchor_figures(c, variant(figures, tmp_path / "other.json", "7"))
    for path, reason in (
        (statement("other-root.json", disclosure_root="0x" + "ab" * 32), "names disclosure root 0xabab"),
        (statement("no-root.json"), "names no disclosure_root"),
        (statement("elsewhere.json", covers=other, disclosure_root=honest.root, issued="2023-04-01"),
         "not these figures"),
        (statement("unanchored.json", covers=None, disclosure_root=honest.root, issued="2023-04-02"),
         "does not verify"),
    ):  # fmt: skip
        bad = verify_disclosure(dep, proof, statement=path)
        assert not bad.verified and checks(bad)["audit"] == "fail" and bad.audited_by is None, path
        assert reason in detail(bad, "audit") and "rests on the publisher's tree" in detail(bad, "audit")
    audited_uid = dep.covering_statements(figures_uid)[0].uid
    revoke(dep, c.verifier, audited_uid, "withdrawn")
    bad = verify_disclosure(dep, proof, statement=audited)
    assert not bad.verified and "revoked" in detail(bad, "audit")
    with pytest.raises(InputError, match="--statement"):
        verify_disclosure(dep, proof, statement=figures)


@pytest.mark.anvil
def test_cli_one_root_audit_and_audited_statement(
    anvil_consortium: Consortium, figures: Path, tmp_path: Path
) -> None:
    """The real `attest` entry point: the second root refused, the audit's verdict one line per
    mismatch, verify-disclosure's words on who vouches for the tree."""
    from attest.chain.keystore import create_keystore

    c = anvil_consortium
    manifest = write(tmp_path / "manifest.json", json.loads(c.dep.manifest.dump()))
    keystore = tmp_path / "bank.keystore.json"
    create_keystore(keystore, "pw-for-test", private_key=c.bank.key.hex())
    env = dict(ATTEST_PASSWORD="pw-for-test", ATTEST_DEPLOYMENT=str(manifest), ATTEST_RPC_URL=c.chain.name)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return run_attest(*args, env=env, cwd=tmp_path, timeout=120)

    assert run("publish", "figures", figures, "--keystore", keystore).returncode == 0
    done = run("publish", "disclosure-root", figures, "--keystore", keystore, "--json")
    assert done.returncode == 0, done.stderr
    published = json.loads(done.stdout)
    root, figures_uid = published["root"], published["figures_uid"]
    copy = tmp_path / "copy.json"
    shutil.copy(figures, copy)
    done = run("publish", "disclosure-root", copy, "--keystore", keystore)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert f"already has its disclosure root {root}" in done.stderr and not tree_path(copy).exists()

    done = run("audit-disclosure", figures, tree_path(figures))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"root {root}: the one bound on-chain to figures attestation {figures_uid}" in done.stdout
    assert done.stdout.splitlines()[-1] == f"AUDITED: a statement may name disclosure_root {root}"
    lying = hand_tree(figures, tmp_path / "lying.json", with_value("1"))
    done = run("audit-disclosure", figures, tmp_path / "lying.json")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f'✗ {METRIC}: value: the tree says "1", the figures "')
    assert lines[1].startswith("✗ root: ") and root in lines[1]
    assert lines[2].startswith("NOT AUDITED: 2 mismatch(es)") and len(lines) == 3
    done = run("audit-disclosure", figures, tmp_path / "missing.json")
    assert done.returncode == 2 and "missing.json" in done.stderr and len(done.stderr.splitlines()) == 1

    proof = tmp_path / "proof.json"
    assert run("disclose", figures, "--metric", METRIC, "--out", proof).returncode == 0
    done = run("verify-disclosure", proof)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "✓ bound" in done.stdout and "! audit         the value rests on the publisher's tree" in done.stdout
    )
    assert done.stdout.splitlines()[-1] == "VERIFIED (the value rests on the publisher's tree)"
    statement = write(
        tmp_path / "statement.json", {**json.loads(STATEMENT.read_text()), "disclosure_root": root}
    )
    publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=figures_uid)
    done = run("verify-disclosure", proof, "--statement", statement)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"✓ audit         tree audited by {VERIFIER_NAME}" in done.stdout
    assert done.stdout.splitlines()[-1] == f"VERIFIED (tree audited by {VERIFIER_NAME})"
    done = run("verify-disclosure", proof, "--statement", figures)
    assert done.returncode == 2 and "--statement" in done.stderr and len(done.stderr.splitlines()) == 1

    c.dep.attest(c.bank, lying.root[2:], Kind.BATCH, 2022)  # the bank's second tree, anchored another way
    done = run("verify-disclosure", write(tmp_path / "lying-proof.json", proof_from(c, lying, of_metric)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"✗ bound         figures attestation {figures_uid} is bound on-chain to disclosure root {root}"
        in (done.stdout)
    )
