"""Bulk verification agrees with the one-at-a-time path, with a bounded number of RPC requests.

One real anvil node (module scope) holds a mix: published figures and files with receipts, a
tampered copy, an unknown file, a revoked file, a superseded restatement, a restatement revoked (its
original current again, though its `Superseded` event stays), figures covered by a (revoked)
statement, a digest attested by two organisations, and a Merkle batch with receipts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REPO_ROOT, Consortium, build_consortium, watch_requests
from worlds import RIVAL_ORGANISATION, rival_statement_doc, run_attest, write_json

from attest.app.batch import publish_batch
from attest.app.bulk import expand_targets, iter_verify, verify_many
from attest.app.publishing import publish
from attest.app.verify import verify_target
from attest.chain.anchoring import revoke
from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.documents import hash_document

pytestmark = pytest.mark.anvil


@dataclass
class World:
    c: Consortium
    root: Path
    targets: list[str]
    batch_receipts: list[str]
    withdrawn: tuple[str, str]  # digests: an original, and its restatement that was revoked


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from attest.devtools.node import AnvilNode, dev_private_keys

    root = tmp_path_factory.mktemp("bulk")
    node = AnvilNode(root / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        docs = root / "docs"
        docs.mkdir()
        figures = docs / "figures.json"
        shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
        publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
        report = docs / "report.pdf"
        report.write_bytes(b"%PDF-1.4 report 2022")
        publish(c.dep, c.bank, report, kind=Kind.FILE, year=2022)
        tampered = docs / "tampered.pdf"
        tampered.write_bytes(b"%PDF-1.4 tampered original")
        publish(c.dep, c.bank, tampered, kind=Kind.FILE, year=2022)
        tampered.write_bytes(b"%PDF-1.4 tampered EDITED")
        unknown = docs / "unknown.bin"
        unknown.write_bytes(b"never anchored")
        revoked = docs / "revoked.pdf"
        revoked.write_bytes(b"withdrawn")
        r = publish(c.dep, c.bank, revoked, kind=Kind.FILE, year=2022)
        revoke(c.dep, c.bank, r.published.attestation.uid, "withdrawn: wrong boundary")
        old, new = b"energy bill v1", b"energy bill v2"
        first = c.dep.attest(c.bank, sha(old), Kind.FILE, 2022).attestation
        c.dep.attest(c.bank, sha(new), Kind.FILE, 2022, ref=first.uid)
        covered = sha(b"figures covered")
        fig = c.dep.attest(c.bank, covered, Kind.FIGURES, 2022).attestation
        st = c.dep.attest(c.verifier, sha(b"statement"), Kind.STATEMENT, 2022, ref=fig.uid).attestation
        st2 = c.dep.attest(c.verifier, sha(b"statement 2"), Kind.STATEMENT, 2022, ref=fig.uid).attestation
        revoke(c.dep, c.verifier, st2.uid, "superseded by a corrected statement")
        shared = sha(b"shared")
        c.dep.attest(c.bank, shared, Kind.FILE, 2022)
        c.dep.attest(c.rival, shared, Kind.FILE, 2022)
        kept, withdrawn = b"meter reading v1", b"meter reading v2 (wrong)"
        original = c.dep.attest(c.bank, sha(kept), Kind.FILE, 2022).attestation
        wrong = c.dep.attest(c.bank, sha(withdrawn), Kind.FILE, 2022, ref=original.uid).attestation
        revoke(c.dep, c.bank, wrong.uid, "restated the wrong meter")

        # credits: WeBank's 2022 statement retires Verra units 1..5000; the same verifier covers Rival
        # Bank's figures with a statement retiring units 4001..4500 of that issuance (claimed twice)
        claims = root / "credits"
        claims.mkdir()
        webank_doc = json.loads((EXAMPLES / "webank-2022-figures.json").read_text(encoding="utf-8"))
        webank_doc["metrics"][0]["value"] = "360000001"  # other figures than docs/figures.json
        webank_figures = claims / "webank-figures.json"
        webank_figures.write_text(json.dumps(webank_doc, ensure_ascii=False), encoding="utf-8")
        webank_fig = publish(c.dep, c.bank, webank_figures, kind=Kind.FIGURES).published.attestation
        statement = claims / "statement-2022.json"
        shutil.copy(EXAMPLES / "illustrative-carbon-verification-2022-v2.json", statement)
        publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=webank_fig.uid)
        rival_doc = json.loads((EXAMPLES / "webank-2022-figures.json").read_text(encoding="utf-8"))
        rival_doc["organisation"] = dict(RIVAL_ORGANISATION)
        rival_figures = write_json(claims / "rival-figures.json", rival_doc)
        rival_fig = publish(c.dep, c.rival, rival_figures, kind=Kind.FIGURES).published.attestation
        rival_st = rival_statement_doc(json.loads(statement.read_text(encoding="utf-8")), "overlap")
        rival_statement = write_json(claims / "rival-statement.json", rival_st)
        publish(c.dep, c.verifier, rival_statement, kind=Kind.STATEMENT, ref=rival_fig.uid)

        batch_dir = root / "batch"
        batch_dir.mkdir()
        files = []
        for i in range(40):
            f = batch_dir / f"bill-{i:03}.txt"
            f.write_bytes(f"monthly energy bill {i}".encode())
            files.append(f)
        publish_batch(c.dep, c.bank, files, year=2022)
        (batch_dir / "bill-007.txt").write_bytes(b"edited after publishing")
        bad_proof = json.loads((batch_dir / "bill-008.txt.receipt.json").read_text())
        bad_proof["merkle"]["proof"][0] = "0x" + "11" * 32
        (batch_dir / "bill-008.txt.receipt.json").write_text(json.dumps(bad_proof))
        batch_receipts = sorted(str(p) for p in batch_dir.glob("*.receipt.json"))

        targets = [
            str(figures),
            str(docs / "figures.receipt.json"),
            str(report),
            str(docs / "report.pdf.receipt.json"),
            str(docs / "tampered.pdf.receipt.json"),
            str(tampered),
            str(unknown),
            str(revoked),
            sha(old),
            sha(new),
            covered,
            sha(b"statement"),
            sha(b"statement 2"),
            st.uid[2:],  # not a digest anything anchored (a uid): unknown
            shared,
            "0x" + "ab" * 32,
            *batch_receipts[:5],
            str(batch_dir / "bill-007.txt.receipt.json"),
            str(batch_dir / "bill-008.txt.receipt.json"),
            str(batch_dir / "bill-009.txt"),  # a batch member without its receipt: its leaf is not anchored
            sha(kept),
            sha(withdrawn),
            str(statement),
            str(webank_figures),
            str(rival_statement),
            str(rival_figures),
            hash_document(statement).digest,
        ]
        yield World(c, root, targets, batch_receipts, (sha(kept), sha(withdrawn)))
    finally:
        node.stop()


def as_json(reports: list[Any]) -> list[dict[str, Any]]:
    return [r.to_json() for r in reports]


def test_agrees_with_verify_target_on_the_mix(world: World) -> None:
    dep = world.c.dep
    one_by_one = [verify_target(dep, t) for t in world.targets]
    bulk = verify_many(dep, world.targets)
    assert as_json(bulk) == as_json(one_by_one)
    verdicts = {Path(t).name: r.verified for t, r in zip(world.targets, bulk, strict=True)}
    # the mix really is a mix: each kind of failure is present, and so are successes
    assert verdicts["figures.json"] and verdicts["report.pdf"] and verdicts["bill-000.txt.receipt.json"]
    assert not verdicts["tampered.pdf.receipt.json"] and not verdicts["tampered.pdf"]
    assert not verdicts["unknown.bin"] and not verdicts["revoked.pdf"]
    assert not verdicts["bill-007.txt.receipt.json"] and not verdicts["bill-008.txt.receipt.json"]
    assert not verdicts["bill-009.txt"]
    failed = {r.subject: {c.name for c in r.checks if c.status == "fail"} for r in bulk}
    assert failed[str(world.root / "docs" / "revoked.pdf")] == {"status"}
    assert failed[str(world.root / "batch" / "bill-008.txt.receipt.json")] >= {"merkle"}
    credits = {r.subject: next((c for c in r.checks if c.name == "credits"), None) for r in bulk}
    for name in ("statement-2022.json", "webank-figures.json", "rival-statement.json", "rival-figures.json"):
        found = credits[str(world.root / "credits" / name)]
        assert found is not None and found.status == "fail" and "claimed twice" in found.detail, found
    covered = next(r for r in bulk if r.subject == world.targets[10])
    coverage = next(c for c in covered.checks if c.name == "coverage")
    assert "revoked" in coverage.detail and coverage.detail.count("Example Carbon Verification Body") == 2


def test_revocation_and_supersession_come_from_storage_on_both_paths(world: World) -> None:
    """Case 13: `verify` read them from the registry's storage, `verify-many` from its events. They
    differ once a restatement is revoked: storage frees the original, while the `Superseded` event
    stays in the logs — an events-based reader calls the original superseded. Both read storage."""
    from attest.chain.index import registry_index

    dep = world.c.dep
    kept, withdrawn = world.withdrawn
    original = dep.attestation_of(world.c.bank_id, kept)
    restatement = dep.attestation_of(world.c.bank_id, withdrawn)
    assert original is not None and restatement is not None
    assert registry_index(dep).replacements[original.uid] == [restatement.uid]  # the event outlives it
    assert dep.registry.functions.supersededBy(bytes.fromhex(original.uid[2:])).call() == b"\0" * 32

    one = [verify_target(dep, t) for t in world.withdrawn]
    bulk = verify_many(dep, list(world.withdrawn))
    assert as_json(bulk) == as_json(one)
    status = {r.digest: next(c for c in r.checks if c.name == "status") for r in bulk}
    assert bulk[0].verified and status[kept].status == "warn"
    assert status[kept].detail.startswith(f"current again: restatement {restatement.uid} replaced it until")
    assert not bulk[1].verified and status[withdrawn].detail.startswith("revoked by its organisation")


def test_agrees_with_org_option(world: World) -> None:
    dep = world.c.dep
    for org in ("WeBank", "Rival Bank"):
        one = [verify_target(dep, t, org=org) for t in world.targets[:16]]
        assert as_json(verify_many(dep, world.targets[:16], org=org)) == as_json(one)
    one = [verify_target(dep, t, require_coverage=True) for t in world.targets[:16]]
    assert as_json(verify_many(dep, world.targets[:16], require_coverage=True)) == as_json(one)


class _Counter:
    """Counts the requests the chain's one JSON-RPC client sends (`attest.chain.rpc`): a single call
    by its method, a batch as one "batch"; every eth_getLogs filter and how many logs it answered."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.log_queries: list[Any] = []  # every eth_getLogs filter
        self.logs_returned = 0  # how many logs those answered


def count_requests(world: World, run: Callable[[], object], counter: _Counter | None = None) -> list[str]:
    """Every request `run` makes (see `_Counter`)."""
    counter = counter or _Counter()
    client: Any = world.c.dep.chain.client

    def seen(calls: Any, answers: Any) -> None:
        cached = getattr(client, "_chain_id", None) is not None and all(m == "eth_chainId" for m, _ in calls)
        if not cached:  # the client answers a known chain id itself: no request is sent
            counter.requests.append(calls[0][0] if len(calls) == 1 else "batch")
        for (method, params), answer in zip(calls, answers, strict=True):
            if method == "eth_getLogs":
                counter.log_queries.append(params[0])
                counter.logs_returned += len(answer.get("result") or [])

    undo = watch_requests(world.c.dep.chain, seen)
    try:
        run()
    finally:
        undo()
    return counter.requests


def test_request_count_is_bounded_and_independent_of_the_number_of_files(world: World) -> None:
    dep = world.c.dep
    few = count_requests(world, lambda: verify_many(dep, world.batch_receipts[:2]))
    counter = _Counter()
    many = count_requests(world, lambda: verify_many(dep, world.batch_receipts), counter)
    mixed = count_requests(world, lambda: verify_many(dep, world.targets))
    assert len(few) == len(many) <= 12, many
    # the governance replay, then the targets' logs by topic: their digests' Attested events and one
    # round per step of what those reach (never the whole registry: see below)
    assert len(counter.log_queries) <= 6, counter.log_queries
    assert many.count("eth_call") <= 1  # the registry's governance binding, read once for all
    assert len(mixed) <= 18 and "batch" in mixed, mixed
    registry = dep.manifest.registry.address.lower()
    asked = [q for q in counter.log_queries if registry in [a.lower() for a in _as_list(q.get("address"))]]
    assert asked
    for q in asked:
        assert q.get("topics") and q["topics"][-1], q  # each names the values it is about
    baseline = count_requests(world, lambda: [verify_target(dep, t) for t in world.batch_receipts])
    assert len(baseline) >= 5 * len(world.batch_receipts)  # the per-file path: several round trips each


def test_credit_claims_are_asked_only_about_statements(world: World) -> None:
    """A CreditClaimed query makes the node filter every registry log (on a long chain the cost of
    a query grows with the chain, whatever our side does): only a statement can have claimed
    credits, so files and batches cost no such query, and a statement target still finds its
    claims (the agreement tests compare those reports with the one-at-a-time path)."""
    from attest.chain import events

    claimed = "0x" + events.topics().credit_claimed.hex()

    def credit_queries(targets: list[str]) -> list[Any]:
        counter = _Counter()
        count_requests(world, lambda: verify_many(world.c.dep, targets), counter)
        return [q for q in counter.log_queries if claimed in _as_list((q.get("topics") or [None])[0])]

    assert credit_queries(world.batch_receipts[:5]) == []
    statements = [t for t in world.targets if t.endswith("statement-2022.json")]
    assert statements and credit_queries(statements)


def _as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def test_log_scan_in_chunks_gives_the_same_answer(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import attest.app.bulk
    import attest.chain.deployment
    import attest.chain.index

    whole = as_json(verify_many(world.c.dep, world.targets))
    monkeypatch.setattr(attest.chain.index, "LOG_CHUNK_BLOCKS", 3)
    monkeypatch.setattr(attest.chain.index, "BLOCKS_PER_BATCH", 2)
    monkeypatch.setattr(attest.app.bulk, "PREFETCH", 3)  # storage read ahead 3 targets at a time…
    monkeypatch.setattr(attest.chain.deployment, "STATES_PER_BATCH", 2)  # …2 attestations a batch
    counter = _Counter()
    count_requests(world, lambda: verify_many(world.c.dep, world.targets), counter)
    assert len(counter.log_queries) > 10  # the ranges were split
    assert as_json(verify_many(world.c.dep, world.targets)) == whole


def test_bad_input_fails_that_file_and_names_it(world: World) -> None:
    missing = str(world.root / "nope.pdf")
    alone = [r.verified for r in verify_many(world.c.dep, world.targets[:2])]
    reports = list(iter_verify(world.c.dep, [world.targets[0], missing, world.targets[1]]))
    assert [r.subject for r in reports] == [world.targets[0], missing, world.targets[1]]  # in its turn
    bad = reports[1]
    assert not bad.verified and bad.input_error == 2
    assert [(c.name, c.status) for c in bad.checks] == [("input", "fail")]
    assert "nope.pdf" in bad.checks[0].detail and "no such file" in bad.checks[0].detail
    assert [reports[0].verified, reports[2].verified] == alone  # the others judged as without it


def test_expand_targets_prefers_receipts_and_skips_canonical_copies(world: World) -> None:
    docs = world.root / "docs"
    (docs / ".DS_Store").write_bytes(b"\0")  # hidden entries were never published: not targets either
    (docs / ".git").mkdir(exist_ok=True)
    (docs / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    targets = expand_targets([str(docs), "0x" + "ab" * 32])
    expanded = targets.items
    names = [Path(t).name for t in expanded]
    assert "HEAD" not in names and ".DS_Store" not in names
    assert {Path(p).name for p, _ in targets.skipped} == {".DS_Store", ".git"}  # listed, not dropped
    assert expanded[:-1] == sorted(expanded[:-1], key=lambda t: Path(t).parts)
    assert "figures.receipt.json" in names and "figures.json" not in names
    assert "figures.canonical.json" not in names and "report.pdf" not in names
    assert "unknown.bin" in names and "revoked.pdf.receipt.json" in names
    assert expanded[-1] == "0x" + "ab" * 32


def test_cli_verify_many(world: World) -> None:
    manifest = world.root / "manifest.json"
    manifest.write_bytes(world.c.dep.manifest.dump())
    env_cmd = ["verify-many", "-d", str(manifest)]
    rpc = ["--rpc-url", world.c.chain.name]
    good = world.batch_receipts[10:20]
    done = run_attest(*env_cmd, *rpc, *good, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    count, proofs = done.stdout.splitlines()  # no progress-bar residue on stdout
    assert count == "10 verified, 0 not verified, of 10"
    assert proofs.startswith("proofs: state facts of every report proven against block "), proofs
    assert done.stderr == ""  # not a terminal: no bar at all
    done = run_attest(*env_cmd, *rpc, str(world.root / "batch"))
    assert done.returncode == 1
    lines = done.stdout.splitlines()  # failures (subject, then each failed check), then the count
    assert lines[-2] == "38 verified, 2 not verified, of 40"
    assert sum("bill-00" in line and line.startswith("✗") for line in lines) == 2
    done = run_attest(*env_cmd, *rpc, "--json", str(world.root / "batch"), cwd=REPO_ROOT)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["summary"].pop("proofs").startswith("state facts of every report proven")
    assert data["summary"] == {"verified": 38, "not_verified": 2, "total": 40}
    bad = {Path(r["subject"]).name for r in data["reports"] if not r["verified"]}
    assert bad == {"bill-007.txt.receipt.json", "bill-008.txt.receipt.json"}
    done = run_attest(*env_cmd, *rpc, str(world.root / "missing.pdf"), cwd=REPO_ROOT)
    assert done.returncode == 2 and "missing.pdf" in done.stderr and len(done.stderr.splitlines()) == 1


def test_bulk_reads_do_not_grow_with_the_registry(world: World) -> None:
    """Runs last in this module: it anchors unrelated attestations. The same targets cost the same
    requests and the same logs before and after the registry grew by them (no whole-registry scan)."""
    dep = world.c.dep
    targets = world.batch_receipts[:5] + world.targets[:5]
    before = _Counter()
    requests_before = count_requests(world, lambda: verify_many(dep, targets), before)
    reports_before = as_json(verify_many(dep, targets))
    for i in range(25):
        dep.attest(world.c.rival, sha(f"unrelated {i}".encode()), Kind.FILE, 2022)
    after = _Counter()
    requests_after = count_requests(world, lambda: verify_many(dep, targets), after)
    assert requests_after == requests_before
    assert after.logs_returned == before.logs_returned > 0
    # the verdicts are the same (only the head moved: compare what does not name it)
    verdicts = [r["verified"] for r in as_json(verify_many(dep, targets))]
    assert verdicts == [r["verified"] for r in reports_before]
