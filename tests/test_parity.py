"""One verifier: every way of verifying gives the same lines and verdict for the same target.

For every kind of example target — figures, a carbon-verification/1 and a /2 statement, a plain
file, a batch member (its receipt beside it), a bare digest — the lines (name and status) and the
verdict of `attest verify`, `attest verify-many` and the page's verification (what `attest serve`
runs for its browser, with the same request the browser builds) are the same; and for each target
that has a receipt/2, `attest verify RECEIPT --offline` gives every line the online verification
gives, with the same status, except those offline cannot know, which it prints as `info` lines
saying so (and no line online verification does not print). A real consortium on anvil, set up
and verified through the real CLI (tests/serve_net.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from serve_net import ServeNet, build_net

from attest.core.documents import hash_document

pytestmark = pytest.mark.anvil
SHELL_LINES = {"proofs", "logs"}  # added by the prover; verify-many states them once, in its summary


@dataclass
class World:
    net: ServeNet
    targets: dict[str, str]  # what it is -> the target as given on the command line


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from serve_net import STATEMENT

    from attest.devtools.node import AnvilNode

    root = tmp_path_factory.mktemp("parity")
    node = AnvilNode(root / "node")
    node.start()
    try:
        net = build_net(root, node.rpc_url)
        v2 = json.loads(
            (STATEMENT.parent / "illustrative-carbon-verification-2022-v2.json").read_text("utf-8")
        )
        v2["verifier"]["name"] = json.loads(net.statement.read_text("utf-8"))["verifier"]["name"]
        statement_v2 = net.root / "published" / "statement-v2.json"
        statement_v2.write_text(json.dumps(v2, ensure_ascii=False, indent=2), encoding="utf-8")
        covers = net.figures.with_name(net.figures.stem + ".receipt.json")
        keystore = net.root / "verifier.keystore.json"
        net.attest("publish", "statement", statement_v2, "--covers", covers, "--keystore", keystore, "--json")
        targets = {
            "figures": str(net.figures),
            "statement/1": str(net.statement),
            "statement/2": str(statement_v2),
            "file": str(net.pdf),
            "batch member": str(net.batch / "bill-0.txt.receipt.json"),
            "digest": hashlib.sha256(net.pdf.read_bytes()).hexdigest(),
        }
        yield World(net, targets)
    finally:
        node.stop()


def lines(report: dict[str, Any], *, shell: bool = True) -> list[tuple[str, str]]:
    return [(c["name"], c["status"]) for c in report["checks"] if shell or c["name"] not in SHELL_LINES]


def cli(w: World, *args: str) -> list[dict[str, Any]]:
    done = w.net.attest_raw("verify", *args, "--json")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return list(json.loads(done.stdout))


def page_request(target: str) -> dict[str, Any]:
    """What the page's browser sends for a target (static/verify.js)."""
    path = Path(target)
    if not path.exists():
        return {"digest": target}
    request: dict[str, Any] = {}
    document = path
    if path.name.endswith(".receipt.json"):
        request["receipt"] = {"name": path.name, "text": path.read_text("utf-8")}
        document = path.with_name(path.name.removesuffix(".receipt.json"))
    doc = hash_document(document)
    claims: dict[str, Any] = {"name": document.name, "type": doc.type.label}
    if doc.canonical is not None:
        claims.update(
            organisation=doc.type.organisation(doc),
            year=doc.type.year(doc),
            schema=getattr(doc.content, "schema_", None),
            canonical=doc.canonical.decode("utf-8"),
        )
    request.update(digest=doc.digest, rule=doc.digest_rule, document=claims)
    return request


@pytest.fixture(scope="module")
def online(world: World) -> dict[str, dict[str, Any]]:
    return {what: cli(world, target)[0] for what, target in world.targets.items()}


@pytest.mark.parametrize("what", ["figures", "statement/1", "statement/2", "file", "batch member", "digest"])
def test_verify_many_gives_the_lines_of_verify(
    world: World, online: dict[str, dict[str, Any]], what: str
) -> None:
    done = world.net.attest_raw("verify-many", world.targets[what], "--json")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    (report,) = json.loads(done.stdout)["reports"]
    assert lines(report, shell=False) == lines(online[what], shell=False)
    assert report["verified"] == online[what]["verified"]


@pytest.mark.parametrize("what", ["figures", "statement/1", "statement/2", "file", "batch member", "digest"])
def test_the_page_gives_the_lines_of_verify(
    world: World, online: dict[str, dict[str, Any]], what: str
) -> None:
    from attest.app.claimed import verify_claimed
    from attest.app.proven import ProofPolicy, Prover
    from attest.chain.deployment import Deployment

    dep = Deployment.open(str(world.net.manifest), rpc_url=world.net.rpc_url)
    prover = Prover(dep, ProofPolicy((world.net.rpc_url,)))
    report = verify_claimed(dep, page_request(world.targets[what]), prover=prover).to_json()
    assert lines(report) == lines(online[what])
    assert report["verified"] == online[what]["verified"]


@pytest.mark.parametrize("what", ["figures", "statement/1", "statement/2", "file", "batch member"])
def test_offline_gives_every_line_it_can_know(world: World, what: str) -> None:
    target = Path(world.targets[what])
    receipt = (
        target if target.name.endswith(".receipt.json") else target.with_name(target.stem + ".receipt.json")
    )
    if not receipt.exists():
        receipt = target.with_name(target.name + ".receipt.json")
    chain = json.loads(receipt.read_text("utf-8"))["chain"]
    (on,) = cli(world, str(receipt))
    (off,) = cli(
        world, str(receipt), "--offline", "--trust-block", f"{chain['block_number']}:{chain['block_hash']}"
    )
    online_lines = dict(lines(on, shell=False))
    offline_checks = {c["name"]: c for c in off["checks"]}
    # a unit offline cannot know is one info line for all of its lines ("credits" for "credits: recorded")
    unknown = {n for n, c in offline_checks.items() if c["status"] == "info" and "offline" in c["detail"]}
    for name, status in online_lines.items():
        if name.split(":")[0] in unknown:
            continue
        assert name in offline_checks, f"offline drops the {name} line: {off['checks']}"
        assert offline_checks[name]["status"] == status, (name, status, offline_checks[name])
    extra = [n for n in offline_checks if n not in online_lines and n not in unknown]
    assert not extra, f"lines offline prints that online verification does not: {extra}"
    if not any(s == "fail" for s in online_lines.values()):
        assert off["verified"], off["checks"]
