"""`attest publish batch`, batch receipts in `attest verify`, and `attest revoke`, through the entry point."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from worlds import run_attest

from attest.chain.keystore import create_keystore
from attest.core.manifest import write_atomic

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.anvil


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, cwd=cwd, env={"ATTEST_PASSWORD": PASSWORD}, timeout=120)


@pytest.fixture
def setup(anvil: Any, anvil_consortium: Any, tmp_path: Path) -> dict[str, Any]:
    c = anvil_consortium
    manifest = tmp_path / "deployment.json"
    write_atomic(manifest, c.dep.manifest.model_copy(update={"rpc_url": anvil.rpc_url}).dump())
    keystore = tmp_path / "bank.json"
    create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
    docs = tmp_path / "evidence"
    (docs / "bills").mkdir(parents=True)
    for i in range(12):
        (docs / "bills" / f"energy-bill-{i:02}.txt").write_text(f"branch {i}: 1{i}00 kWh\n")
    return {"c": c, "manifest": str(manifest), "keystore": str(keystore), "docs": docs, "tmp": tmp_path}


def test_batch_publish_verify_and_revoke(setup: dict[str, Any]) -> None:
    s, tmp = setup, setup["tmp"]
    common = ["-d", s["manifest"]]
    head = s["c"].chain.head()
    out = run(
        "publish",
        "batch",
        str(s["docs"]),
        "--year",
        "2022",
        "--keystore",
        s["keystore"],
        "--json",
        *common,
        cwd=tmp,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["files"] == 12 and data["leaves"] == 12 and not data["already_anchored"]
    assert s["c"].chain.head() == head + 1  # one transaction for twelve files
    assert data["gas_used"] <= 65_000

    again = run(
        "publish",
        "batch",
        str(s["docs"]),
        "--year",
        "2022",
        "--keystore",
        s["keystore"],
        *common,
        cwd=tmp,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("already anchored: 12 files")  # no progress-bar residue before it
    assert s["c"].chain.head() == head + 1

    receipt = s["docs"] / "bills" / "energy-bill-03.txt.receipt.json"
    ok = run("verify", str(receipt), *common, cwd=tmp)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✓ merkle" in ok.stdout

    (s["docs"] / ".DS_Store").write_bytes(b"\0")  # left out, and said so
    whole = run("verify", str(s["docs"]), *common, cwd=tmp)  # a directory: bulk, through its receipts
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert whole.stdout.count("\nVERIFIED") == 12 and "NOT VERIFIED" not in whole.stdout
    assert f"skipped: {s['docs'] / '.DS_Store'}: hidden entry" in whole.stdout
    orphan = s["docs"] / "bills" / "energy-bill-04.txt"
    kept = orphan.read_bytes()
    orphan.unlink()  # its receipt stays behind: in a directory, a receipt without its document fails
    gone = run("verify", str(s["docs"]), *common, cwd=tmp)
    assert gone.returncode == 1 and "its document 'energy-bill-04.txt' is not in the directory" in gone.stdout
    orphan.write_bytes(kept)
    (s["docs"] / ".DS_Store").unlink()

    edited = json.loads(receipt.read_text())
    edited["merkle"]["proof"][0] = "0x" + "00" * 32
    forged = tmp / "forged.receipt.json"
    forged.write_text(json.dumps(edited))
    bad = run("verify", str(forged), *common, cwd=tmp)
    assert bad.returncode == 1 and "✗ merkle" in bad.stdout

    (s["docs"] / "bills" / "energy-bill-03.txt").write_text("branch 3: 1 kWh\n")
    changed = run("verify", str(receipt), *common, cwd=tmp)
    assert changed.returncode == 1 and "✗ digest" in changed.stdout

    uid = edited["attestation"]["uid"]
    by_receipt = run("revoke", str(receipt), "--reason", "x", "--keystore", s["keystore"], *common, cwd=tmp)
    assert by_receipt.returncode == 2 and "withdraws every file of the batch" in by_receipt.stderr
    assert (
        run("verify", str(receipt.with_name("energy-bill-04.txt.receipt.json")), *common, cwd=tmp).returncode
        == 0
    )
    rev = run(
        "revoke", uid, "--reason", "meter readings wrong", "--keystore", s["keystore"], *common, cwd=tmp
    )
    assert rev.returncode == 0, rev.stderr
    other = s["docs"] / "bills" / "energy-bill-04.txt.receipt.json"
    revoked = run("verify", str(other), *common, cwd=tmp)
    assert revoked.returncode == 1 and "meter readings wrong" in revoked.stdout


def test_batch_bad_input_sends_nothing(setup: dict[str, Any]) -> None:
    s, tmp = setup, setup["tmp"]
    head = s["c"].chain.head()
    for args in (["missing-dir"], [str(s["docs"]), "--year", "1800"]):
        full = ["publish", "batch", *args] + ([] if "--year" in args else ["--year", "2022"])
        out = run(*full, "--keystore", s["keystore"], "-d", s["manifest"], cwd=tmp)
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert s["c"].chain.head() == head


def test_revoke_rejects_a_malformed_uid(setup: dict[str, Any]) -> None:
    out = run(
        "revoke",
        "0x1234",
        "--reason",
        "x",
        "--keystore",
        setup["keystore"],
        "-d",
        setup["manifest"],
        cwd=setup["tmp"],
    )
    assert out.returncode == 2 and "nor a receipt file" in out.stderr and "0x1234" in out.stderr


def test_batch_over_a_folder_never_anchors_our_side_files(setup: dict[str, Any]) -> None:
    """A disclosure tree holds secret salts and a signed request is no document: a batch over the
    folder they sit in anchors only the documents, and says what it left out."""
    s, tmp = setup, setup["tmp"]
    d = tmp / "signed-off"
    d.mkdir()
    (d / "annex-a.txt").write_text("annex A\n")
    (d / "annex-b.txt").write_text("annex B\n")
    salts = {"schema": "esg-attest/disclosure-tree/2", "salts": ["0x" + "ab" * 32]}
    (d / "x.disclosure.json").write_text(json.dumps(salts))
    (d / "y.signed.json").write_text(json.dumps({"schema": "esg-attest/signed-attestation/1"}))
    head = s["c"].chain.head()
    out = run(
        "publish", "batch", str(d), "--year", "2022", "--keystore", s["keystore"], "--json",
        "-d", s["manifest"], cwd=tmp,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["files"], data["leaves"]) == (2, 2)
    assert s["c"].chain.head() == head + 1
    assert sorted(p.name for p in d.glob("*.receipt.json")) == [
        "annex-a.txt.receipt.json",
        "annex-b.txt.receipt.json",
    ]
    assert {Path(e["path"]).name: e["reason"] for e in data["skipped"]} == {
        "x.disclosure.json": "a disclosure tree (it holds secret salts), not a document",
        "y.signed.json": "a signed attestation request, not a document",
    }
    assert out.stderr.strip().splitlines() == [
        f"skipped: {d / 'x.disclosure.json'}: a disclosure tree (it holds secret salts), not a document",
        f"skipped: {d / 'y.signed.json'}: a signed attestation request, not a document",
    ]

    whole = run("verify", str(d), "-d", s["manifest"], cwd=tmp)  # the folder means the same two documents
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert whole.stdout.count("\nVERIFIED") == 2 and "NOT VERIFIED" not in whole.stdout
