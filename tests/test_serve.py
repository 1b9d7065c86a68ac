"""`attest serve` over HTTP, against a real anvil node: the page's API gives `attest verify`'s verdict.

The server is the real console script (`attest serve`) as a subprocess; requests are plain HTTP to
127.0.0.1. What the browser would send — a digest with what the document says about itself, a
receipt — is computed here with the library the CLI uses (attest.core.documents.hash_document), so
each answer can be compared line by line with `attest verify --json` on the same file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_net import ServeNet, build_net, serving

from attest.core.documents import hash_document

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeNet]:
    from attest.devtools.node import AnvilNode

    root = tmp_path_factory.mktemp("serve")
    node = AnvilNode(root / "node")
    node.start()
    try:
        yield build_net(root, node.rpc_url)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def url(net: ServeNet) -> Iterator[str]:
    with serving(net) as base:
        yield base


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def post(url: str, body: Any, *, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def claims_of(path: Path) -> dict[str, Any]:
    """What the page sends for a file: its digest, rule, and what it says about itself (and, for a
    published JSON document, its canonical text)."""
    doc = hash_document(path)
    t = doc.type
    document: dict[str, Any] = {"name": path.name, "type": t.label}
    if t.label != "file":
        schema = getattr(doc.content, "schema_", None)
        document.update(organisation=t.organisation(doc), year=t.year(doc), schema=schema)
        assert doc.canonical is not None
        document["canonical"] = doc.canonical.decode("utf-8")
    return {"digest": doc.digest, "rule": doc.digest_rule, "document": document}


def cli_checks(net: ServeNet, *args: str | Path) -> tuple[bool, list[dict[str, str]]]:
    r = net.attest_raw("verify", *args, "--json")
    assert r.returncode in (0, 1), r.stderr
    report = json.loads(r.stdout)[0]
    return report["verified"], report["checks"]


def same_checks(page: list[dict[str, str]], cli: list[dict[str, str]]) -> None:
    """Every line the CLI prints, in its order, with its status; the detail too, except the digest
    line, which says where the digest was computed."""
    assert [(c["name"], c["status"]) for c in page] == [(c["name"], c["status"]) for c in cli]
    for p, c in zip(page, cli, strict=True):
        if p["name"] == "digest":
            assert p["detail"].split(" (")[0] == c["detail"].split(" (")[0]
        else:
            assert p["detail"] == c["detail"], p["name"]


@pytest.mark.parametrize("which", ["figures", "statement", "pdf"])
def test_a_published_document_verifies_as_the_cli_says(net: ServeNet, url: str, which: str) -> None:
    path = {"figures": net.figures, "statement": net.statement, "pdf": net.pdf}[which]
    status, answer = post(url + "/api/verify", claims_of(path))
    assert status == 200, answer
    verified, cli = cli_checks(net, path)
    assert verified and answer["verified"]
    same_checks(answer["report"][0]["checks"], cli)
    last = [(c["name"], c["status"]) for c in answer["report"][0]["checks"][-2:]]
    assert last == [("proofs", "pass"), ("logs", "pass")]  # the trusted block, as verify settles it
    assert answer["lines"][1].startswith("  ✓ deployment")
    assert "<!DOCTYPE html>" in answer["html"] and "VERIFIED" in answer["html"]


def test_an_edited_document_fails_naming_the_check(net: ServeNet, url: str, tmp_path: Path) -> None:
    doc = json.loads(net.figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
    edited = tmp_path / net.figures.name
    edited.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    status, answer = post(url + "/api/verify", claims_of(edited))
    assert status == 200 and answer["verified"] is False
    verified, cli = cli_checks(net, edited)
    assert not verified
    same_checks(answer["report"][0]["checks"], cli)
    anchored = next(c for c in answer["report"][0]["checks"] if c["name"] == "anchored")
    assert anchored["status"] == "fail" and "this file is not what was published" in anchored["detail"]


def _receipt(path: Path) -> dict[str, str]:
    name = path.name + ".receipt.json" if path.suffix != ".json" else path.stem + ".receipt.json"
    receipt = path.with_name(name)
    return {"name": receipt.name, "text": receipt.read_text(encoding="utf-8")}


def test_a_batch_receipt_verifies_with_and_without_its_document(net: ServeNet, url: str) -> None:
    bill = net.batch / "bill-1.txt"
    receipt = _receipt(bill)
    status, alone = post(url + "/api/verify", {"receipt": receipt})
    assert status == 200 and alone["verified"], alone
    _, cli_alone = cli_checks(net, bill.with_name(receipt["name"]))
    with_doc = {**claims_of(bill), "receipt": receipt}
    status, both = post(url + "/api/verify", with_doc)
    assert status == 200 and both["verified"], both
    _, cli_both = cli_checks(net, bill.with_name(receipt["name"]))  # the CLI finds the bill beside it
    same_checks(both["report"][0]["checks"], cli_both)
    names = [c["name"] for c in alone["report"][0]["checks"]]
    assert "merkle" in names and "receipt" in names
    assert [c["status"] for c in alone["report"][0]["checks"] if c["name"] == "merkle"] == ["pass"]
    assert len(cli_alone) == len(alone["report"][0]["checks"])


def test_a_receipt_with_another_document_fails(net: ServeNet, url: str) -> None:
    """Attack: the genuine receipt of one bill handed over with another (anchored) bill. The digest
    comparison stops it (`digest` ✗) and so does the name the receipt records (`receipt` ✗)."""
    other = net.batch / "bill-2.txt"
    request = {**claims_of(other), "receipt": _receipt(net.batch / "bill-1.txt")}
    status, answer = post(url + "/api/verify", request)
    assert status == 200 and answer["verified"] is False
    checks = {c["name"]: c for c in answer["report"][0]["checks"]}
    assert checks["digest"]["status"] == "fail" and "the receipt says" in checks["digest"]["detail"]
    assert checks["receipt"]["status"] == "fail"
    assert 'the document given is "bill-2.txt"' in checks["receipt"]["detail"]


def test_a_bare_digest_verifies(net: ServeNet, url: str) -> None:
    digest = hashlib.sha256(net.pdf.read_bytes()).hexdigest()
    status, answer = post(url + "/api/verify", {"digest": "0x" + digest.upper()})
    assert status == 200 and answer["verified"], answer
    verified, cli = cli_checks(net, digest)
    assert verified
    same_checks(answer["report"][0]["checks"], cli)
    assert "given as a bare digest" in answer["report"][0]["checks"][1]["detail"]


def test_only_the_organisation_the_document_names_counts(net: ServeNet, url: str, tmp_path: Path) -> None:
    """Attack: another member anchors the bank's edited figures. The browser sends whom the document
    names, so only WeBank's attestation counts (`anchored` ✗), as `attest verify FILE` says; the
    same digest alone (a bare digest) would verify as Rival Bank's."""
    from serve_net import PASSWORD

    from attest.chain.deployment import Deployment
    from attest.chain.keystore import load_keystore
    from attest.core.contracts import Kind

    doc = json.loads(net.figures.read_text(encoding="utf-8"))
    doc["metrics"][1]["value"] = "1"
    edited = tmp_path / net.figures.name
    edited.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    claims = claims_of(edited)
    dep = Deployment.open(net.manifest)
    dep.attest(
        load_keystore(net.root / "rival.keystore.json", PASSWORD), claims["digest"], Kind.FIGURES, 2022
    )

    status, answer = post(url + "/api/verify", claims)
    assert status == 200 and answer["verified"] is False
    anchored = next(c for c in answer["report"][0]["checks"] if c["name"] == "anchored")
    assert anchored["status"] == "fail" and "attested only by Rival Bank" in anchored["detail"], anchored
    verified, cli = cli_checks(net, edited)
    assert not verified
    same_checks(answer["report"][0]["checks"], cli)
    _, bare = post(url + "/api/verify", {"digest": claims["digest"]})
    assert bare["verified"] is True  # what the page would wrongly say if it sent the digest alone


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"digest": "abc"}, "field 'digest': not a sha256 digest"),
        ({}, "give a document, a receipt or a sha256 digest"),
        ({"digest": "a" * 64, "rule": "sha256-raw", "document": {"name": "x.pdf", "type": "pdf"}},
         "field 'document.type'"),
        ({"digest": "a" * 64, "rule": "sha256-raw",
          "document": {"name": "f.json", "type": "figures", "organisation": "WeBank", "year": 2022}},
         "digested by sha256-rfc8785"),
        ({"receipt": {"name": "r.receipt.json", "text": '{"schema":"esg-attest/receipt/1","schema":"x"}'}},
         "r.receipt.json: field 'schema': duplicate key"),
        ({"receipt": {"name": "r.receipt.json", "text": '{"a":1}'}}, "not a receipt"),
        ({"digest": "a" * 64, "org": ""}, "field 'org'"),
    ],
)  # fmt: skip
def test_bad_requests_are_one_line_errors(url: str, body: dict[str, Any], needle: str) -> None:
    status, answer = post(url + "/api/verify", body)
    assert status == 400, answer
    assert answer["exit_code"] == 2 and answer["error"].startswith("error: ")
    assert needle in answer["error"] and "\n" not in answer["error"]


def test_a_document_naming_no_admitted_member_is_a_verdict_not_an_error(url: str) -> None:
    body = {
        "digest": "a" * 64,
        "rule": "sha256-rfc8785",
        "document": {"name": "f.json", "type": "figures", "organisation": "Nobody", "year": 2022},
    }
    status, answer = post(url + "/api/verify", body)
    assert status == 200 and answer["verified"] is False, answer
    (organisation,) = [c for c in answer["report"][0]["checks"] if c["name"] == "organisation"]
    assert organisation["status"] == "fail"
    assert "names organisation 'Nobody', which is not an admitted member" in organisation["detail"]


def test_malformed_and_oversized_bodies(url: str) -> None:
    status, answer = post(url + "/api/verify", None, raw=b"not json")
    assert status == 400 and "not JSON" in answer["error"]
    status, answer = post(url + "/api/verify", None, raw=b"[1]")
    assert status == 400 and "JSON object" in answer["error"]
    import http.client

    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/verify")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(200 << 20))  # refused from the header, before the body is read
    conn.endheaders()
    conn.send(b'{"x":"')
    response = conn.getresponse()
    assert response.status == 400 and "larger than 132 MiB" in json.loads(response.read())["error"]
    conn.close()


def test_read_only_no_transaction_and_no_other_methods(net: ServeNet, url: str) -> None:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(net.rpc_url))
    head = w3.eth.block_number
    for path in ("/", "/history", "/api/verify", "/api/deployment", "/static/style.css"):
        req = urllib.request.Request(url + path, data=b"{}", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        assert err.value.code == 405
    status, _, _ = get(url + "/api/verify")
    assert status == 405
    post(url + "/api/verify", claims_of(net.figures))
    get(url + "/api/deployment")
    assert w3.eth.block_number == head  # nothing was sent to the chain


def test_listens_on_loopback_by_default(net: ServeNet, url: str) -> None:
    port = int(url.rsplit(":", 1)[1])
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    listening = [r.split()[1] for r in rows if r.split()[3] == "0A" and r.split()[1].endswith(f":{port:04X}")]
    assert listening == [f"0100007F:{port:04X}"]  # 127.0.0.1 only
    assert "127.0.0.1" in net.attest_raw("serve", "--help").stdout


def test_pages_assets_and_headers(url: str) -> None:
    from serve_net import ATTEST

    for path in ("/", "/history", "/deployment", "/disclosure"):
        status, headers, body = get(url + path)
        assert status == 200 and body.startswith(b"<!DOCTYPE html>")
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "connect-src 'self'" in csp
        assert b"http://" not in body and b"https://" not in body  # nothing from elsewhere
    status, headers, js = get(url + "/vendor/hash-wasm/sha256.umd.min.js")
    repo_node_modules = Path(__file__).resolve().parent.parent / "node_modules"
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert js == (repo_node_modules / "hash-wasm" / "dist" / "sha256.umd.min.js").read_bytes()
    assert ATTEST.exists()
    for asset in ("strictjson.js", "verify.js", "common.js", "style.css"):
        assert get(url + "/static/" + asset)[0] == 200
    assert get(url + "/static/../app.py")[0] == 404


def test_history_is_what_attest_history_says(net: ServeNet, url: str) -> None:
    status, _, body = get(url + "/api/history?org=WeBank&year=2022")
    assert status == 200
    page = json.loads(body)
    cli = net.attest("history", "--org", "WeBank", "--year", "2022", "--json")
    # a page (newest first), each row as `attest history --json` prints it, dated by its block
    dates = {a["uid"]: a.pop("anchored_at") for a in page["attestations"]}
    assert page["attestations"] == list(reversed(cli["attestations"]))
    assert all(isinstance(t, int) and t > 1_600_000_000 for t in dates.values())
    assert (page["page"], page["pages"], page["matching"]) == (1, 1, 3)
    assert {y["year"] for y in page["years"]} >= {2021, 2022}
    kinds = sorted(a["kind"] for a in page["attestations"])
    assert kinds == ["batch", "figures", "file"]
    figures = next(a for a in page["attestations"] if a["kind"] == "figures")
    assert len(figures["covered_by"]) == 1
    files = json.loads(get(url + "/api/history?org=WeBank&year=2022&kind=file")[2])
    assert [a["kind"] for a in files["attestations"]] == ["file"] and files["matching"] == 1
    assert get(url + "/api/history?org=WeBank&kind=poem")[0] == 400
    assert get(url + "/api/history?org=WeBank&page=-1")[0] == 400
    status, _, body = get(url + "/api/history?org=Nobody")
    assert status == 400 and "Nobody" in json.loads(body)["error"]
    orgs = json.loads(get(url + "/api/organisations")[2])
    assert [o["name"] for o in orgs][:1] == ["WeBank"]


def test_deployment_page_data(net: ServeNet, url: str) -> None:
    status, _, body = get(url + "/api/deployment")
    assert status == 200
    d = json.loads(body)
    manifest = json.loads(net.manifest.read_text())
    assert d["chain_id"] == manifest["chain_id"] == 31337
    assert d["manifest_sha256"] == hashlib.sha256(net.manifest.read_bytes()).hexdigest()
    assert d["contracts"]["registry"]["address"] == manifest["registry"]["address"]
    assert d["bound"] and d["code_verified"] and all(c["status"] == "pass" for c in d["code"])
    assert d["proofs"]["trusted_block"]["number"] <= d["head"]
    assert "is the artifact's" in d["proofs"]["registry_code"]
    assert get(url + "/api/manifest.json")[2] == net.manifest.read_bytes()


def test_disclosure_checker_is_what_verify_disclosure_says(net: ServeNet, url: str) -> None:
    proof = {"name": net.proof.name, "text": net.proof.read_text(encoding="utf-8")}
    status, answer = post(url + "/api/disclosure", {"proof": proof})
    assert status == 200, answer
    cli = net.attest_raw("verify-disclosure", net.proof, "--json")
    cli_data = json.loads(cli.stdout)
    assert answer["verified"] == cli_data["verified"] is True
    assert answer["checks"] == cli_data["checks"]
    tampered = json.loads(proof["text"])
    tampered["metric"]["value"] = "1"
    status, bad = post(url + "/api/disclosure", {"proof": {"name": "x.json", "text": json.dumps(tampered)}})
    assert status == 200 and bad["verified"] is False
    assert [c["status"] for c in bad["checks"] if c["name"] == "leaf"] == ["fail"]


def test_hasher_missing_is_one_line(net: ServeNet, tmp_path: Path) -> None:
    """Without node_modules (npm ci not run), serve refuses to start, saying what to run."""
    import attest

    copy = tmp_path / "pkg"
    shutil.copytree(
        Path(attest.__file__).parent, copy / "attest", ignore=shutil.ignore_patterns("__pycache__")
    )
    import os

    from serve_net import run_raw

    env = {"PYTHONPATH": os.pathsep.join([str(copy), os.environ.get("PYTHONPATH", "")])}
    r = run_raw("serve", "-d", net.manifest, "--port", "1", cwd=tmp_path, env=env)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == (
        "error: the browser's hasher (npm package hash-wasm) is not installed: "
        "run `npm ci` at the repository root"
    )
