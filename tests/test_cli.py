"""The `attest` command line through its real entry point (the installed console script), end to end.

Chain tests run against a real anvil node on 127.0.0.1 with real scrypt keystores made by
`attest account new`. One node and one deployment are shared by this module (`net`): the committee
deploys and admits WeBank (publisher), a verification body (verifier) and a rival bank (publisher),
and WeBank publishes its 2022 figures, all through the CLI. Tests that write to the chain use their
own documents, so the tests stay independent of each other's order.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from worlds import run_attest

from attest.devtools.node import AnvilNode, dev_private_keys

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FIGURES = REPO_ROOT / "examples" / "webank-2022-figures.json"
PASSWORD = "correct horse battery staple 7"
TIMEOUT = 120
FAKE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%% WeBank 2022 sustainability report\n%%EOF\n"

anvil = pytest.mark.anvil


def run(
    *args: str | Path,
    cwd: Path,
    password: str | None = PASSWORD,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `attest` script; the password (if any) goes in via $ATTEST_PASSWORD."""
    environment = {} if password is None else {"ATTEST_PASSWORD": password}
    return run_attest(*args, cwd=cwd, env={**environment, **(env or {})}, timeout=TIMEOUT)


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    return json.loads(result.stdout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The error contract: the exit code, exactly one line on stderr, no traceback, the given words."""
    assert result.returncode == code, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return port


def edited_copy(src: Path, dst: Path, metric_index: int = 0, delta: int = 1) -> Path:
    doc = json.loads(src.read_text(encoding="utf-8"))
    doc["metrics"][metric_index]["value"] = str(int(doc["metrics"][metric_index]["value"]) + delta)
    dst.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return dst


# ------------------------------------------------------------------------------------------ the network


@dataclass
class Net:
    root: Path
    rpc_url: str
    w3: Any
    manifest: Path
    keystores: dict[str, Path]
    addresses: dict[str, str]
    results: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    figures: Path = field(default=Path())
    published: dict[str, Any] = field(default_factory=dict)
    blocks_around_publish: tuple[int, int] = (0, 0)

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def attest(self, *args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """`attest` in the network's directory, with its manifest (via the env) and RPC URL."""
        env = {"ATTEST_DEPLOYMENT": str(self.manifest), **kwargs.pop("env", {})}
        return run(*args, cwd=self.root, env=env, **kwargs)

    def workdir(self, name: str) -> Path:
        d = self.root / name
        d.mkdir()
        return d


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """anvil + a deployment + three admitted organisations + WeBank's published 2022 figures, via the CLI."""
    from eth_account import Account
    from web3 import Web3

    from attest.chain.connection import Chain
    from attest.chain.keystore import create_keystore

    root = tmp_path_factory.mktemp("cli")
    node = AnvilNode(root / "node")
    node.start()
    try:
        dev_key = dev_private_keys(1)[0]
        w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
        keystores = {
            name: root / f"{name}.keystore.json"
            for name in ("committee", "bank", "verifier", "rival", "outsider")
        }
        addresses = {"committee": create_keystore(keystores["committee"], PASSWORD, private_key=dev_key)}
        results: dict[str, subprocess.CompletedProcess[str]] = {}

        # Keystores made by the CLI: password from the environment, and from a file.
        results["account_new_env"] = run("account", "new", keystores["bank"], "--json", cwd=root)
        addresses["bank"] = ok_json(results["account_new_env"])["address"]
        pw_file = root / "password.txt"
        pw_file.write_text(PASSWORD + "\n", encoding="utf-8")
        results["account_new_file"] = run(
            "account",
            "new",
            keystores["verifier"],
            "--password-file",
            pw_file,
            "--json",
            cwd=root,
            password=None,
        )
        addresses["verifier"] = ok_json(results["account_new_file"])["address"]
        for name in ("rival", "outsider"):
            addresses[name] = create_keystore(
                keystores[name], PASSWORD, private_key=Account.create().key.hex()
            )

        chain = Chain.connect(node.rpc_url)
        for name in ("bank", "verifier", "rival", "outsider"):
            chain.fund(addresses[name], 10**20, funder_key=dev_key)

        manifest = root / "deployments" / "anvil.json"
        results["deploy"] = run(
            "deploy", "--rpc-url", node.rpc_url, "--keystore", keystores["committee"],
            "--network", "anvil", "--out", manifest, "--json", cwd=root,
        )  # fmt: skip
        ok_json(results["deploy"])
        n = Net(root, node.rpc_url, w3, manifest, keystores, addresses, results)

        for key, name, role, who, extra in (
            ("admit_bank", "WeBank", "publisher", "bank", ["--country", "CN", "--kind", "bank"]),
            ("admit_verifier", "Example Verifier", "verifier", "verifier",
             ["--kind", "verification body", "--accreditation-body", "CNAS",
              "--accreditation-number", "V-1"]),
            ("admit_rival", "Rival", "publisher", "rival", ["--kind", "bank"]),
        ):  # fmt: skip
            results[key] = n.attest(
                "member", "admit", "--keystore", keystores["committee"], "--name", name,
                "--role", role, "--account", addresses[who], *extra, "--json",
            )  # fmt: skip
            ok_json(results[key])

        # WeBank publishes a copy of the example figures (never the file in the repository).
        pub = n.workdir("published")
        n.figures = pub / EXAMPLE_FIGURES.name
        shutil.copyfile(EXAMPLE_FIGURES, n.figures)
        before = n.head()
        results["publish_figures"] = n.attest(
            "publish", "figures", n.figures, "--keystore", keystores["bank"], "--json"
        )
        n.published = ok_json(results["publish_figures"])
        n.blocks_around_publish = (before, n.head())
        yield n
    finally:
        node.stop()


# ------------------------------------------------------------------------------------------ no chain


def test_help_exits_0(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("demo", "hash", "publish", "verify", "deploy", "member", "account", "node"):
        assert command in result.stdout
    sub = run("publish", "figures", "--help", cwd=tmp_path)
    assert sub.returncode == 0 and "--keystore" in sub.stdout


def test_hash_json_structure(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    shutil.copyfile(EXAMPLE_FIGURES, figures)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(FAKE_PDF)
    rows = ok_json(run("hash", figures, pdf, "--json", cwd=tmp_path))
    assert [r["file"] for r in rows] == [str(figures), str(pdf)]
    assert rows[0]["rule"] == "sha256-rfc8785"
    assert rows[0]["media_type"] == "application/vnd.esg-figures.v1+json"
    assert rows[0]["digest"] != hashlib.sha256(figures.read_bytes()).hexdigest()  # not the raw bytes
    assert rows[1] == {
        "file": str(pdf),
        "digest": hashlib.sha256(FAKE_PDF).hexdigest(),
        "rule": "sha256-raw",
        "media_type": "application/octet-stream",
    }


def test_hash_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "figures.json"
    doc = json.loads(EXAMPLE_FIGURES.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = 360000000
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert_one_line_error(run("hash", bad, cwd=tmp_path), 2, "figures.json", "metrics[0].value")


def test_demo_json(tmp_path: Path) -> None:
    data = ok_json(run("demo", "--json", "--workdir", tmp_path / "demo", cwd=tmp_path, password=None))
    assert data["ok"] is True
    assert data["original"]["verified"] is True
    assert data["edited"]["verified"] is False
    assert isinstance(data["gas_used"], int)
    assert data["statement"]["verified"] is True and data["statement_2023"]["verified"] is True
    years = data["neutrality"]
    assert [(y["year"], y["status"], y["met"], y["credits_unique"]) for y in years] == [
        (2022, "current", True, True),
        (2023, "current", True, True),
    ]


def test_demo_human(tmp_path: Path) -> None:
    result = run("demo", "--workdir", tmp_path / "demo", cwd=tmp_path, password=None)
    assert result.returncode == 0, result.stderr
    assert "VERIFIED" in result.stdout
    assert "NOT VERIFIED" in result.stdout
    assert "✗ anchored" in result.stdout
    assert "✓ credits       no serial block is claimed by another live statement" in result.stdout
    assert "2022  ✓        ✓          ✓ 6900 ≥ 6860 t" in result.stdout
    assert "2023  ✓        ✓          ✓ 6700 ≥ 6630 t" in result.stdout
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------ setup via CLI


@anvil
def test_account_new_and_show(net: Net) -> None:
    for key, name in (("account_new_env", "bank"), ("account_new_file", "verifier")):
        assert ok_json(net.results[key])["keystore"] == str(net.keystores[name])
        assert net.keystores[name].stat().st_mode & 0o077 == 0  # 0600: nobody else reads the key
        assert PASSWORD not in net.keystores[name].read_text(encoding="utf-8")
        shown = run("account", "show", net.keystores[name], cwd=net.root, password=None)
        assert shown.returncode == 0
        assert shown.stdout.strip().lower() == net.addresses[name].lower()


@anvil
def test_deploy_writes_manifest(net: Net) -> None:
    out = ok_json(net.results["deploy"])
    assert out["chain_id"] == 31337
    assert Path(out["manifest"]) == net.manifest
    manifest = json.loads(net.manifest.read_text(encoding="utf-8"))
    assert manifest["schema"] == "esg-attest/deployment/1"
    assert manifest["chain_id"] == 31337
    assert manifest["rpc_url"] == net.rpc_url
    assert manifest["network"] == "anvil"
    assert manifest["registry"]["address"] == out["registry"]
    assert manifest["governance"]["address"] == out["governance"]
    for part in ("registry", "governance"):
        assert len(net.w3.eth.get_code(manifest[part]["address"])) > 0
        assert len(manifest[part]["artifact_sha256"]) == 64


@anvil
def test_deploy_refuses_to_overwrite_a_manifest(net: Net) -> None:
    before, content = net.head(), net.manifest.read_bytes()
    result = run(
        "deploy", "--rpc-url", net.rpc_url, "--keystore", net.keystores["committee"], "--out", net.manifest,
        cwd=net.root,
    )  # fmt: skip
    assert_one_line_error(result, 2, str(net.manifest))
    assert net.head() == before
    assert net.manifest.read_bytes() == content


@anvil
def test_member_admit_and_list(net: Net) -> None:
    ids = []
    for key in ("admit_bank", "admit_verifier", "admit_rival"):
        out = ok_json(net.results[key])
        assert out["executed"] is True
        ids.append(out["org_id"])
    assert ids == [1, 2, 3]
    rows = ok_json(net.attest("member", "list", "--json", password=None))
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"WeBank", "Example Verifier", "Rival"}
    assert by_name["WeBank"]["roles"] == "publisher"
    assert by_name["Example Verifier"]["roles"] == "verifier"
    assert by_name["WeBank"]["accounts"] == [net.addresses["bank"]]
    assert by_name["Example Verifier"]["accounts"] == [net.addresses["verifier"]]
    assert all(r["active"] for r in rows)
    human = net.attest("member", "list", password=None)
    assert human.returncode == 0 and "WeBank" in human.stdout and "[publisher]" in human.stdout


# ------------------------------------------------------------------------------------------ publish


@anvil
def test_publish_figures_json(net: Net) -> None:
    out = net.published
    before, after = net.blocks_around_publish
    assert out["already_anchored"] is False
    assert len(out["digest"]) == 64
    assert out["transaction_hash"].startswith("0x") and len(out["transaction_hash"]) == 66
    assert out["block_number"] == after == before + 1
    assert isinstance(out["gas_used"], int) and 0 < out["gas_used"] <= 60_000
    receipt_path = net.figures.with_name("webank-2022-figures.receipt.json")
    assert Path(out["receipt"]) == receipt_path and receipt_path.is_file()
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    assert receipt["schema"] == "esg-attest/receipt/2"  # anvil serves proofs: the receipt carries them
    assert receipt["document"]["digest"] == out["digest"]
    assert receipt["chain"]["transaction_hash"] == out["transaction_hash"]
    assert receipt["chain"]["block_number"] == out["block_number"]
    assert receipt["chain"]["chain_id"] == 31337
    tx = net.w3.eth.get_transaction_receipt(out["transaction_hash"])
    assert tx["status"] == 1 and tx["gasUsed"] == out["gas_used"]


@anvil
def test_hash_equals_sha256_of_canonical_file(net: Net) -> None:
    canonical = net.figures.with_name("webank-2022-figures.canonical.json")
    assert Path(net.published["canonical"]) == canonical
    sha256sum = hashlib.sha256(canonical.read_bytes()).hexdigest()  # what plain `sha256sum` prints
    assert sha256sum == net.published["digest"]
    for path in (net.figures, EXAMPLE_FIGURES):
        result = run("hash", path, cwd=net.root, password=None)
        assert result.returncode == 0, result.stderr
        digest, printed_path, *_ = result.stdout.split()
        assert digest == sha256sum and printed_path == str(path)
        assert "RFC 8785" in result.stdout


@anvil
def test_publish_again_is_idempotent(net: Net) -> None:
    before = net.head()
    out = ok_json(
        net.attest("publish", "figures", net.figures, "--keystore", net.keystores["bank"], "--json")
    )
    assert out["already_anchored"] is True
    assert out["gas_used"] is None
    assert out["transaction_hash"] == net.published["transaction_hash"]
    assert out["block_number"] == net.published["block_number"]
    assert net.head() == before
    human = net.attest("publish", "figures", net.figures, "--keystore", net.keystores["bank"])
    assert human.returncode == 0 and "already anchored (nothing sent)" in human.stdout
    assert net.head() == before


@anvil
def test_publish_file_with_password_file_then_verify(net: Net) -> None:
    work = net.workdir("pdf")
    pdf = work / "webank-2022-report.pdf"
    pdf.write_bytes(FAKE_PDF)
    pw_file = work / "pw"
    pw_file.write_text(PASSWORD + "\n", encoding="utf-8")
    before = net.head()
    out = ok_json(
        net.attest(
            "publish", "file", pdf, "--year", "2022", "--uri", "https://example.org/r.pdf",
            "--keystore", net.keystores["bank"], "--password-file", pw_file, "--json", password=None,
        )
    )  # fmt: skip
    assert out["digest"] == hashlib.sha256(FAKE_PDF).hexdigest()
    assert out["already_anchored"] is False and out["block_number"] == before + 1
    assert out["canonical"] is None
    receipt = work / "webank-2022-report.pdf.receipt.json"
    assert Path(out["receipt"]) == receipt and receipt.is_file()
    body = json.loads(receipt.read_text(encoding="utf-8"))
    assert body["attestation"]["kind"] == "file" and body["attestation"]["year"] == 2022
    assert body["attestation"]["uri"] == "https://example.org/r.pdf"
    for target in (pdf, receipt):
        result = net.attest("verify", target, password=None)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "✓ anchored      file for 2022 by WeBank" in result.stdout
        assert result.stdout.rstrip().splitlines()[-2] == "VERIFIED"  # then the sentence


# ------------------------------------------------------------------------------------------ verify


@anvil
def test_verify_file_receipt_and_bare_digest(net: Net) -> None:
    receipt = net.published["receipt"]
    digest = net.published["digest"]
    result = net.attest("verify", net.figures, receipt, digest, "sha256:" + digest, password=None)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("\nVERIFIED") == 4 and "NOT VERIFIED" not in out
    assert out.count("✓ digest") == 4
    assert out.count("✓ anchored      figures for 2022 by WeBank (org #1)") == 4
    assert out.count("✓ authorised") == 4
    assert out.count("✓ status") == 4
    assert out.count("✓ confirmations") == 4
    assert out.count("✓ receipt") == 1  # only the receipt target has a receipt check
    assert "given as a bare digest" in out
    assert "✗" not in out


@anvil
def test_verify_edited_copy_fails_on_anchored(net: Net) -> None:
    work = net.workdir("edited")
    copy = edited_copy(net.figures, work / "webank-2022-figures.json")
    result = net.attest("verify", copy, password=None)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ anchored" in result.stdout
    assert "NOT VERIFIED (failed: anchored)" in result.stdout
    assert "this file is not what was published" in result.stdout
    report = json.loads(net.attest("verify", copy, "--json", password=None).stdout)[0]
    assert report["verified"] is False
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["anchored"]


@anvil
def test_verify_edited_document_next_to_its_receipt(net: Net) -> None:
    """The receipt stays, the document beside it is edited: the digest check names the change."""
    work = net.workdir("edited-beside-receipt")
    shutil.copyfile(net.published["receipt"], work / "webank-2022-figures.receipt.json")
    edited_copy(net.figures, work / "webank-2022-figures.json")
    result = net.attest("verify", work / "webank-2022-figures.receipt.json", password=None)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ digest" in result.stdout and "changed after publishing" in result.stdout


@anvil
def test_verify_reordered_keys_verifies(net: Net) -> None:
    def reverse(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: reverse(obj[k]) for k in reversed(list(obj))}
        if isinstance(obj, list):
            return [reverse(v) for v in obj]
        return obj

    work = net.workdir("reordered")
    doc = json.loads(net.figures.read_text(encoding="utf-8"))
    reordered = work / "reversed.json"
    reordered.write_text(json.dumps(reverse(doc), ensure_ascii=True), encoding="utf-8")  # \u escapes too
    sorted_keys = work / "sorted.json"
    sorted_keys.write_text(json.dumps(doc, sort_keys=True, indent=4, ensure_ascii=False), encoding="utf-8")
    assert reordered.read_bytes() != net.figures.read_bytes() != sorted_keys.read_bytes()
    result = net.attest("verify", reordered, sorted_keys, password=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("sha256 " + net.published["digest"]) == 2


@anvil
def test_verify_json_structure(net: Net) -> None:
    result = net.attest("verify", net.figures, net.published["receipt"], "--json", password=None)
    reports = ok_json(result)
    assert isinstance(reports, list) and len(reports) == 2
    for report in reports:
        assert set(report) == {
            "subject",
            "digest",
            "verified",
            "warnings",
            "checks",
            "attestation",
            "anchored_at",
        }
        assert report["verified"] is True
        assert report["digest"] == net.published["digest"]
        assert isinstance(report["anchored_at"], int)
        names = [c["name"] for c in report["checks"]]
        order = (
            "deployment",
            "digest",
            "receipt",
            "anchored",
            "authorised",
            "status",
            "coverage",
            "confirmations",
            "proofs",
            "logs",
        )
        assert names == [n for n in order if n in names]
        assert names[-2:] == ["proofs", "logs"]  # anvil serves proofs and receipts
        assert [c["status"] for c in report["checks"][-2:]] == ["pass", "pass"]
        assert {"deployment", "digest", "anchored", "authorised", "status", "confirmations"} <= set(names)
        for check in report["checks"]:
            assert set(check) == {"name", "status", "detail", "rests_on", "rests_on_detail", "unproven"}
            assert check["rests_on"] in ("the file", "proven", "one node", "node's word"), check
            assert check["status"] in ("pass", "fail", "info")
        a = report["attestation"]
        assert a["kind"] == "figures" and a["year"] == 2022 and a["org_id"] == 1
        assert a["transaction_hash"] == net.published["transaction_hash"]
        assert a["block_number"] == net.published["block_number"]
        assert a["attester"].lower() == net.addresses["bank"].lower()
        assert a["revoked"] is False
    assert reports[0]["subject"] == str(net.figures)
    assert "receipt" in [c["name"] for c in reports[1]["checks"]]


@anvil
def test_verify_unknown_digest_exits_1(net: Net) -> None:
    result = net.attest("verify", "ab" * 32, password=None)
    assert result.returncode == 1
    assert "✗ anchored" in result.stdout and "no attestation of this digest" in result.stdout


# ------------------------------------------------------------------------------------------ bad input


def _bad_number(doc: dict[str, Any], path: Path) -> None:
    doc["metrics"][0]["value"] = 360000000
    path.write_text(json.dumps(doc), encoding="utf-8")


def _bad_duplicate(doc: dict[str, Any], path: Path) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    text = text.replace('"reporting_year": 2022', '"reporting_year": 2022,\n  "reporting_year": 2023', 1)
    path.write_text(text, encoding="utf-8")


def _bad_nan(doc: dict[str, Any], path: Path) -> None:
    doc["metrics"][0]["value"] = float("nan")
    path.write_text(json.dumps(doc), encoding="utf-8")  # Python writes the non-standard token NaN


def _bad_utf8(doc: dict[str, Any], path: Path) -> None:
    raw = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    path.write_bytes(raw.replace("深圳".encode(), b"\xff\xfe", 1))


def _bad_unknown(doc: dict[str, Any], path: Path) -> None:
    doc["metrics"][0]["verified_by"] = "us"
    path.write_text(json.dumps(doc), encoding="utf-8")


def _bad_schema(doc: dict[str, Any], path: Path) -> None:
    doc["schema"] = "esg-figures/2"
    path.write_text(json.dumps(doc), encoding="utf-8")


def _bad_year(doc: dict[str, Any], path: Path) -> None:
    doc["reporting_year"] = 1800
    doc["period"] = {"start": "1800-01-01", "end": "1800-12-31"}
    path.write_text(json.dumps(doc), encoding="utf-8")


BAD_FIGURES = {
    # case: (how to break the document, words the one-line error must contain besides the file name)
    "number-not-decimal-string": (_bad_number, ["metrics[0].value", "decimal string"]),
    "duplicate-key": (_bad_duplicate, ["reporting_year", "duplicate"]),
    "nan": (_bad_nan, ["metrics[0].value", "NaN"]),
    "invalid-utf8": (_bad_utf8, ["UTF-8"]),
    "unknown-field": (_bad_unknown, ["metrics[0].verified_by", "unknown field"]),
    "wrong-schema-version": (_bad_schema, ["schema"]),
    "year-1800": (_bad_year, ["reporting_year"]),
}


def _assert_nothing_written(net: Net, before: int, work: Path, names: set[str]) -> None:
    assert net.head() == before, "a transaction was sent for bad input"
    assert {p.name for p in work.iterdir()} == names, "a receipt or canonical file was written for bad input"


@anvil
@pytest.mark.parametrize("case", list(BAD_FIGURES))
def test_publish_bad_figures_exit_2_and_nothing_sent(net: Net, case: str) -> None:
    breaker, words = BAD_FIGURES[case]
    work = net.workdir(f"bad-{case}")
    bad = work / "webank-2022-figures.json"
    breaker(json.loads(EXAMPLE_FIGURES.read_text(encoding="utf-8")), bad)
    before = net.head()
    result = net.attest("publish", "figures", bad, "--keystore", net.keystores["bank"])
    assert_one_line_error(result, 2, str(bad), *words)
    _assert_nothing_written(net, before, work, {bad.name})
    # The auditor's side rejects the same bytes the same way.
    assert_one_line_error(net.attest("verify", bad, password=None), 2, str(bad))


@anvil
def test_publish_missing_file_exit_2(net: Net) -> None:
    work = net.workdir("missing")
    before = net.head()
    missing = work / "no-such-figures.json"
    result = net.attest("publish", "figures", missing, "--keystore", net.keystores["bank"])
    assert_one_line_error(result, 2, str(missing))
    _assert_nothing_written(net, before, work, set())


@anvil
def test_publish_file_without_year_exit_2(net: Net) -> None:
    work = net.workdir("no-year")
    pdf = work / "report.pdf"
    pdf.write_bytes(FAKE_PDF)
    before = net.head()
    result = net.attest("publish", "file", pdf, "--keystore", net.keystores["bank"])
    assert result.returncode == 2
    assert "--year" in result.stderr and "Traceback" not in result.stderr
    _assert_nothing_written(net, before, work, {"report.pdf"})


@anvil
def test_publish_file_year_1800_exit_2(net: Net) -> None:
    work = net.workdir("year-1800")
    pdf = work / "report.pdf"
    pdf.write_bytes(FAKE_PDF)
    before = net.head()
    result = net.attest("publish", "file", pdf, "--year", "1800", "--keystore", net.keystores["bank"])
    assert_one_line_error(result, 2, str(pdf), "year", "1800")
    _assert_nothing_written(net, before, work, {"report.pdf"})


@anvil
@pytest.mark.parametrize("via", ["env", "password-file"])
def test_wrong_password_exit_2(net: Net, via: str, tmp_path: Path) -> None:
    wrong = "not-the-password-8a1f"
    work = net.workdir(f"wrong-password-{via}")
    pdf = work / "report.pdf"
    pdf.write_bytes(FAKE_PDF + b"wrong password\n")
    before = net.head()
    if via == "env":
        result = net.attest(
            "publish", "file", pdf, "--year", "2022", "--keystore", net.keystores["bank"], password=wrong
        )
    else:
        pw = tmp_path / "pw"
        pw.write_text(wrong, encoding="utf-8")
        result = net.attest(
            "publish", "file", pdf, "--year", "2022", "--keystore", net.keystores["bank"],
            "--password-file", pw, password=None,
        )  # fmt: skip
    line = assert_one_line_error(result, 2, str(net.keystores["bank"]), "wrong password")
    assert wrong not in line and wrong not in result.stdout
    assert PASSWORD not in result.stderr + result.stdout
    _assert_nothing_written(net, before, work, {"report.pdf"})


# ------------------------------------------------------------------------------------------ chain errors


@anvil
def test_unreachable_rpc_exit_3(net: Net) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    verify = net.attest("verify", net.figures, "--rpc-url", url, password=None)
    assert_one_line_error(verify, 3, url, "unreachable")
    work = net.workdir("unreachable")
    pdf = work / "report.pdf"
    pdf.write_bytes(FAKE_PDF + b"unreachable\n")
    publish = net.attest(
        "publish", "file", pdf, "--year", "2022", "--keystore", net.keystores["bank"], "--rpc-url", url
    )
    assert_one_line_error(publish, 3, url, "unreachable")
    listed = net.attest("member", "list", password=None, env={"ATTEST_RPC_URL": url})
    assert_one_line_error(listed, 3, "unreachable")


@anvil
def test_wrong_chain_id_exit_3(net: Net) -> None:
    manifest = json.loads(net.manifest.read_text(encoding="utf-8"))
    manifest["chain_id"] = 4242
    other = net.root / "wrong-chain.json"
    other.write_text(json.dumps(manifest), encoding="utf-8")
    before = net.head()
    for args in (
        ("verify", net.figures),
        ("publish", "figures", net.figures, "--keystore", net.keystores["bank"]),
    ):
        result = net.attest(*args, "--deployment", other)
        assert_one_line_error(result, 3, "4242", "31337")
    assert net.head() == before


@anvil
def test_manifest_address_without_code_exit_3(net: Net) -> None:
    manifest = json.loads(net.manifest.read_text(encoding="utf-8"))
    manifest["registry"]["address"] = net.addresses["outsider"]  # an account, not a contract
    other = net.root / "no-code.json"
    other.write_text(json.dumps(manifest), encoding="utf-8")
    result = net.attest("verify", net.figures, "--deployment", other, password=None)
    assert_one_line_error(result, 3, "no contract code", net.addresses["outsider"])


@anvil
def test_non_member_publish_exit_3_names_the_error(net: Net) -> None:
    work = net.workdir("outsider")
    pdf = work / "report.pdf"
    pdf.write_bytes(FAKE_PDF + b"outsider\n")
    before = net.head()
    result = net.attest("publish", "file", pdf, "--year", "2022", "--keystore", net.keystores["outsider"])
    assert_one_line_error(result, 3, "NotMember")
    _assert_nothing_written(net, before, work, {"report.pdf"})


@anvil
def test_verifier_cannot_publish_figures_exit_3(net: Net) -> None:
    work = net.workdir("verifier-publishes")
    figures = edited_copy(net.figures, work / "webank-2022-figures.json", delta=7)
    doc = json.loads(figures.read_text(encoding="utf-8"))
    doc["organisation"]["name"] = "Example Verifier"  # its own figures: only the missing role stops it
    figures.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = net.head()
    result = net.attest("publish", "figures", figures, "--keystore", net.keystores["verifier"])
    assert_one_line_error(result, 3, "MissingRole")
    assert net.head() == before


@anvil
def test_publishing_another_organisations_figures_is_refused_exit_2(net: Net) -> None:
    work = net.workdir("not-yours")
    figures = edited_copy(net.figures, work / "webank-2022-figures.json", delta=8)
    before = net.head()
    result = net.attest("publish", "figures", figures, "--keystore", net.keystores["rival"])
    assert_one_line_error(result, 2, str(figures), "organisation.name", "WeBank", "Rival")
    assert net.head() == before


# ------------------------------------------------------------------------------------------ squatting


@anvil
def test_rival_anchored_the_banks_digest_first(net: Net) -> None:
    work = net.workdir("squat")
    pdf = work / "webank-2022-report-final.pdf"
    pdf.write_bytes(FAKE_PDF + b"final edition\n")
    rival = ok_json(
        net.attest("publish", "file", pdf, "--year", "2022", "--keystore", net.keystores["rival"], "--json")
    )
    bank_dir = net.workdir("squat-bank")
    bank_pdf = bank_dir / pdf.name
    shutil.copyfile(pdf, bank_pdf)
    bank = ok_json(
        net.attest(
            "publish", "file", bank_pdf, "--year", "2022", "--keystore", net.keystores["bank"], "--json"
        )
    )
    assert bank["already_anchored"] is False, "the rival's attestation must not count as the bank's"
    assert bank["block_number"] > rival["block_number"] and bank["uid"] != rival["uid"]

    # A raw file names no organisation: with two attesters the verifier must be told whom to trust.
    plain = net.attest("verify", bank_pdf, password=None)
    assert plain.returncode == 1, plain.stdout + plain.stderr
    assert "several organisations" in plain.stdout and "--org" in plain.stdout

    as_bank = net.attest("verify", bank_pdf, "--org", "WeBank", password=None)
    assert as_bank.returncode == 0, as_bank.stdout + as_bank.stderr
    assert "by WeBank (org #1)" in as_bank.stdout
    assert "also attested by Rival (org #3) (not relied on)" in as_bank.stdout
    assert (
        ok_json(net.attest("verify", bank_pdf, "--org", "1", "--json", password=None))[0]["verified"] is True
    )

    # The bank's receipt names its organisation: it verifies without --org.
    receipt = net.attest("verify", bank["receipt"], password=None)
    assert receipt.returncode == 0, receipt.stdout + receipt.stderr
    assert "not relied on" in receipt.stdout

    # --org Rival: it is the rival's own (authorised) attestation that is checked, not the bank's.
    as_rival = ok_json(net.attest("verify", bank_pdf, "--org", "Rival", "--json", password=None))[0]
    assert as_rival["verified"] is True
    assert as_rival["attestation"]["org_id"] == 3
    assert as_rival["attestation"]["transaction_hash"] == rival["transaction_hash"]

    unknown = net.attest("verify", bank_pdf, "--org", "Nobody Bank", password=None)
    assert_one_line_error(unknown, 2, "--org", "Nobody Bank")


@anvil
def test_rival_anchoring_the_banks_figures_does_not_confuse_verify(net: Net) -> None:
    """Figures name their organisation: the rival's copy of the digest is reported, never relied on."""
    work = net.workdir("squat-figures")
    figures = edited_copy(net.figures, work / "webank-2022-figures.json", metric_index=1, delta=11)
    refused = net.attest("publish", "figures", figures, "--keystore", net.keystores["rival"])
    assert refused.returncode == 2 and "names 'WeBank'" in refused.stderr, refused.stderr
    # A malicious member bypasses the tool and calls the registry directly: the contract lets any
    # member anchor any digest for itself, so verify must not be fooled by it.
    from attest.chain.deployment import Deployment
    from attest.chain.keystore import load_keystore
    from attest.core.contracts import Kind
    from attest.core.documents import hash_document

    dep = Deployment.open(net.manifest, rpc_url=net.rpc_url)
    dep.attest(
        load_keystore(net.keystores["rival"], PASSWORD), hash_document(figures).digest, Kind.FIGURES, 2022
    )
    only_rival = net.attest("verify", figures, password=None)
    assert only_rival.returncode == 1, only_rival.stdout + only_rival.stderr
    assert "no attestation of this digest by WeBank" in only_rival.stdout
    assert "attested only by Rival (org #3)" in only_rival.stdout

    bank_dir = net.workdir("squat-figures-bank")
    shutil.copyfile(figures, bank_dir / figures.name)
    ok_json(
        net.attest(
            "publish", "figures", bank_dir / figures.name, "--keystore", net.keystores["bank"], "--json"
        )
    )
    both = net.attest("verify", figures, password=None)
    assert both.returncode == 0, both.stdout + both.stderr
    assert "by WeBank (org #1)" in both.stdout and "Rival (org #3) (not relied on)" in both.stdout


@anvil
def test_revoke_by_the_documents_receipt(net: Net) -> None:
    d = net.workdir("revoke-by-receipt")
    annex = d / "annex.pdf"
    annex.write_bytes(b"%PDF-1.4 annex later withdrawn\n")
    bank = str(net.keystores["bank"])
    assert net.attest("publish", "file", annex, "--year", "2022", "--keystore", bank).returncode == 0
    receipt = d / "annex.pdf.receipt.json"
    elsewhere = json.loads(receipt.read_text())
    elsewhere["chain"]["chain_id"] = 1  # the same document's receipt from another deployment: same uid
    (d / "other.receipt.json").write_text(json.dumps(elsewhere))
    refused = net.attest("revoke", d / "other.receipt.json", "--reason", "x", "--keystore", bank)
    assert_one_line_error(refused, 2, "not this deployment's")
    assert net.attest("verify", annex, password=None).returncode == 0  # nothing was revoked
    done = net.attest("revoke", receipt, "--reason", "replaced by a corrected annex", "--keystore", bank)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("revoked " + json.loads(receipt.read_text())["attestation"]["uid"])
    verified = net.attest("verify", annex, password=None)
    assert verified.returncode == 1 and "replaced by a corrected annex" in verified.stdout


@anvil
def test_a_revoked_restatement_frees_its_original_and_cannot_be_republished(net: Net) -> None:
    """Cases 8 and 11 of "Nothing on faith", through the real commands: WeBank restates figures A
    with B, then revokes B. A is current again (a warning names B), B is revoked, `verify` and
    `verify-many` agree; re-publishing B exits 5 (it is NOT anchored); A can be restated again, and
    re-publishing that restatement with another --supersedes exits 6 instead of "already anchored"."""
    work = net.workdir("restated-then-revoked")
    bank = str(net.keystores["bank"])
    docs = {}
    for name, delta in (("a", 201), ("b", 202), ("c", 203), ("d", 204)):
        (work / name).mkdir()
        docs[name] = edited_copy(net.figures, work / name / "webank-2022-figures.json", delta=delta)
    receipt = {name: doc.with_name("webank-2022-figures.receipt.json") for name, doc in docs.items()}
    a = ok_json(net.attest("publish", "figures", docs["a"], "--keystore", bank, "--json"))
    b = ok_json(
        net.attest(
            "publish", "figures", docs["b"], "--supersedes", receipt["a"], "--keystore", bank, "--json"
        )
    )
    reason = "restated the wrong metric"
    revoked = ok_json(net.attest("revoke", receipt["b"], "--reason", reason, "--keystore", bank, "--json"))
    block = revoked["block_number"]

    original = net.attest("verify", docs["a"], password=None)
    assert original.returncode == 0, original.stdout + original.stderr
    assert (
        f"  ! status        current again: restatement {b['uid']} replaced it until it was revoked by "
        f"its organisation at block {block}: {reason}  ["
    ) in original.stdout
    replacement = net.attest("verify", docs["b"], password=None)
    assert replacement.returncode == 1
    revoked = f"  ✗ status        revoked by its organisation at block {block}: {reason}  ["
    assert revoked in replacement.stdout
    many = net.attest("verify-many", "--json", docs["a"], docs["b"], password=None)
    assert [r["verified"] for r in json.loads(many.stdout)["reports"]] == [True, False]

    head = net.head()
    again = net.attest("publish", "figures", docs["b"], "--supersedes", receipt["a"], "--keystore", bank)
    line = assert_one_line_error(again, 5, f"was revoked by its organisation at block {block}: {reason}")
    assert "it is NOT anchored" in line and "already anchored" not in again.stdout
    assert net.head() == head

    c = ok_json(
        net.attest("publish", "figures", docs["c"], "--supersedes", a["uid"], "--keystore", bank, "--json")
    )
    d = ok_json(net.attest("publish", "figures", docs["d"], "--keystore", bank, "--json"))
    head = net.head()
    other = net.attest("publish", "figures", docs["c"], "--supersedes", d["uid"], "--keystore", bank)
    assert_one_line_error(other, 6, f"({c['uid']}) restating {a['uid']}, not restating {d['uid']}")
    assert net.head() == head
    rerun = net.attest(
        "publish", "figures", docs["c"], "--supersedes", a["uid"], "--keystore", bank, "--json"
    )
    assert ok_json(rerun)["already_anchored"] is True


@anvil
def test_verify_with_a_pinned_manifest_sha256(net: Net) -> None:
    """An auditor pins the manifest the consortium published: the same file verifies; any other
    manifest (here: one byte of whitespace added) is refused before anything is judged."""
    pinned = hashlib.sha256(net.manifest.read_bytes()).hexdigest()
    ok = net.attest("verify", net.figures, "--manifest-sha256", pinned, "--json")
    assert [r["verified"] for r in ok_json(ok)] == [True]
    assert ok_json(net.attest("verify", net.figures, "--json", env={"ATTEST_MANIFEST_SHA256": pinned}))
    other = net.workdir("other-manifest") / "anvil.json"
    other.write_bytes(net.manifest.read_bytes() + b"\n")
    refused = run(
        "verify", net.figures, "--deployment", other, "--manifest-sha256", pinned, cwd=net.root, password=None
    )
    assert_one_line_error(
        refused, 2, "--manifest-sha256", "not the deployment manifest the consortium published"
    )
