"""Selective disclosure: salted EAS-style leaves, a root anchored by the bank, proofs any tool accepts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REPO_ROOT, Consortium

from attest.app.disclosure import (
    LEAF_ENCODING,
    disclose,
    publish_disclosure_root,
    tree_path,
    verify_disclosure,
)
from attest.app.publishing import publish
from attest.core.contracts import Kind
from attest.core.errors import InputError
from attest.core.merkle import standard_leaf_hash

METRIC = "E.paperless.paper_saved"
ATTEST = Path(sys.executable).with_name("attest")


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
    assert {"leaf", "proof", "registry", "anchored", "authorised", "status", "year", "figures"} <= set(
        checks(good)
    )
    assert proof["figures"]["digest"] in next(c.detail for c in good.checks if c.name == "figures")

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

    dep.revoke(consortium.bank, figures_uid, "withdrawn")  # the figures go: their disclosures fail
    bad = verify_disclosure(dep, write(tmp_path / "p.json", proof))
    assert not bad.verified and checks(bad)["figures"] == "fail" and checks(bad)["status"] == "pass"
    assert "revoked" in next(c.detail for c in bad.checks if c.name == "figures")

    dep.revoke(consortium.bank, first.published.attestation.uid, "restated")
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
    other = figures.with_name("copy.json")
    shutil.copy(figures, other)
    publish_disclosure_root(consortium.dep, consortium.bank, other)
    assert json.loads(tree_path(other).read_text())["root"] != tree["root"]
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env.update(ATTEST_PASSWORD="pw-for-test", ATTEST_DEPLOYMENT=str(manifest), ATTEST_RPC_URL=c.chain.name)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ATTEST), *map(str, args)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )

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
    consortium.dep.revoke(consortium.bank, uid, "withdrawn")
    head = consortium.chain.head()
    with pytest.raises(InputError, match=r"cannot carry a disclosure root.*revoked"):
        publish_disclosure_root(consortium.dep, consortium.bank, figures)
    assert consortium.chain.head() == head and not tree_path(figures).exists()
