"""The one anchor path (attest.app.anchor / Deployment.anchor): windows, journal order, pipelining.

Embedded-chain tests check what holds anywhere; anvil tests with interval mining (a block every
half second) keep a window in flight long enough to prove what must wait for it.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Consortium, build_consortium

from attest.app.anchor import anchor
from attest.app.journal import Journal
from attest.app.publishing import (
    PublishFailure,
    PublishResult,
    ToPublish,
    prepare,
    publish,
    publish_documents,
)
from attest.chain.anchoring import AnchorRequest, revoke
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.errors import AnchoredDifferently, AttestationRevoked, ChainError

REPO_ROOT = Path(__file__).resolve().parent.parent


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def files(folder: Path, *contents: str) -> list[ToPublish]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, text in enumerate(contents):
        p = folder / f"doc-{i:03}.txt"
        p.write_text(text, encoding="utf-8")
        doc, year = prepare(p, kind=Kind.FILE, year=2022)
        out.append(ToPublish(doc, Kind.FILE, year))
    return out


def attested_per_digest(dep: Deployment, org_id: int) -> Counter[str]:
    logs = dep.registry.events.Attested().get_logs(
        from_block=dep.manifest.registry.block_number, argument_filters={"orgId": org_id}
    )
    return Counter(log["args"]["digest"].hex() for log in logs)


def test_a_window_is_journaled_before_any_of_it_leaves(
    consortium: Consortium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the first signed transaction of a window leaves, every intent of the window is already
    committed: another connection to the journal file sees them all."""
    c, path = consortium, tmp_path / "j.sqlite"
    items = files(tmp_path / "docs", *(f"annex {i}" for i in range(6)))
    seen: list[dict[str, int]] = []
    send_raw = Chain.send_raw

    def watched(self: Chain, raw: bytes) -> str:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as other:
            seen.append(
                dict(other.execute("SELECT status, COUNT(*) FROM intents GROUP BY status").fetchall())
            )
        return send_raw(self, raw)

    monkeypatch.setattr(Chain, "send_raw", watched)
    with Journal(path) as journal:
        results = list(publish_documents(c.dep, c.bank, items, journal=journal))
        assert journal.summary() == {"anchored": 6}
    assert [r.outcome for r in results if isinstance(r, PublishResult)] == ["sent"] * 6
    assert seen[0] == {"signed": 6}  # all six committed before the first byte left


def test_the_same_digest_twice_in_one_run_is_anchored_once(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    items = files(tmp_path / "docs", "same bytes", "other bytes", "same bytes")
    with Journal(tmp_path / "j.sqlite") as journal:
        results = list(publish_documents(c.dep, c.bank, items, journal=journal))
    assert [r.outcome for r in results if isinstance(r, PublishResult)] == ["sent", "sent", "resumed"]
    assert all((r.document.path.parent / (r.document.path.name + ".receipt.json")).is_file() for r in results)
    assert attested_per_digest(c.dep, c.bank_id)[sha("same bytes")] == 1


def test_a_reference_refused_by_its_dry_run_is_reported_and_the_rest_go_out(
    consortium: Consortium, tmp_path: Path
) -> None:
    c = consortium
    a, b, d = files(tmp_path / "docs", "first", "restates nothing", "third")
    bogus = ToPublish(b.document, Kind.FILE, 2022, ref="0x" + "ab" * 32)
    with Journal(tmp_path / "j.sqlite") as journal:
        results = list(publish_documents(c.dep, c.bank, [a, bogus, d], journal=journal))
        assert journal.summary() == {"anchored": 2}  # nothing recorded for the refused one
    assert isinstance(results[1], PublishFailure) and results[1].error.error_name == "UnknownAttestation"
    assert [r.outcome for r in results if isinstance(r, PublishResult)] == ["sent", "sent"]


def test_a_rerun_finding_the_same_live_attestation_is_done_but_a_revoked_one_is_not(
    consortium: Consortium, tmp_path: Path
) -> None:
    """Case 11: re-publishing a document whose attestation was revoked said "already anchored"
    (exit 0) and wrote its receipt again: the publisher was told it stood, when it did not."""
    c = consortium
    (item,) = files(tmp_path / "docs", "annex withdrawn later")
    first = publish(c.dep, c.bank, item.document, kind=Kind.FILE, year=2022)
    assert publish(c.dep, c.bank, item.document, kind=Kind.FILE, year=2022).outcome == "already"
    sent = revoke(c.dep, c.bank, first.published.attestation.uid, "wrong boundary")
    first.receipt_path.unlink()
    head = c.chain.head()
    with pytest.raises(AttestationRevoked) as exc:
        publish(c.dep, c.bank, item.document, kind=Kind.FILE, year=2022)
    assert exc.value.exit_code == 5
    assert str(exc.value) == (
        f"{item.document.path}: this organisation's attestation of it, {first.published.attestation.uid}, "
        f"was revoked by its organisation at block {sent.block_number}: wrong boundary: it is NOT anchored, "
        "and the registry will not anchor the same document for this organisation again"
    )
    assert not first.receipt_path.exists() and c.chain.head() == head  # no receipt, nothing sent


def test_a_rerun_asking_for_another_year_or_reference_is_refused_not_done(
    consortium: Consortium, tmp_path: Path
) -> None:
    """Case 11: an existing attestation of the document with other facts than asked — a file of
    another year, a restatement of another attestation, a statement covering other figures — was
    reported as done. Each is now a per-document failure (exit 6), and the other documents go out."""
    c = consortium
    report, other = files(tmp_path / "docs", "report 2022", "another document")
    publish(c.dep, c.bank, report.document, kind=Kind.FILE, year=2022)
    results = list(publish_documents(c.dep, c.bank, [ToPublish(report.document, Kind.FILE, 2023), other]))
    failure, done = results
    assert isinstance(failure, PublishFailure) and isinstance(failure.error, AnchoredDifferently)
    assert failure.error.exit_code == 6 and "for 2022, not 2023" in str(failure.error)
    assert isinstance(done, PublishResult) and done.outcome == "sent"

    v1 = c.dep.attest(c.bank, sha("v1"), Kind.FILE, 2022).attestation
    v2 = c.dep.attest(c.bank, sha("v2"), Kind.FILE, 2022).attestation
    (v3,) = files(tmp_path / "v3", "v3")
    restated = publish(c.dep, c.bank, v3.document, kind=Kind.FILE, year=2022, ref=v1.uid)
    with pytest.raises(AnchoredDifferently, match=f"restating {v1.uid}, not restating {v2.uid}"):
        publish(c.dep, c.bank, v3.document, kind=Kind.FILE, year=2022, ref=v2.uid)
    assert publish(c.dep, c.bank, v3.document, kind=Kind.FILE, year=2022, ref=v1.uid).outcome == "already"
    with pytest.raises(AnchoredDifferently, match=f"restating {v1.uid}, not restating nothing"):
        publish(c.dep, c.bank, v3.document, kind=Kind.FILE, year=2022)
    assert restated.published.attestation.ref == v1.uid

    statement = tmp_path / "statement.json"
    shutil.copyfile(REPO_ROOT / "examples" / "illustrative-carbon-verification-2022.json", statement)
    f1 = c.dep.attest(c.bank, sha("figures one"), Kind.FIGURES, 2022).attestation
    f2 = c.dep.attest(c.bank, sha("figures two"), Kind.FIGURES, 2022).attestation
    publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=f1.uid)
    with pytest.raises(
        AnchoredDifferently, match=f"covering figures {f1.uid}, not covering figures {f2.uid}"
    ):
        publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=f2.uid)


def test_publish_takes_the_prepared_document_and_never_reads_the_file_again(
    consortium: Consortium, tmp_path: Path
) -> None:
    c = consortium
    (item,) = files(tmp_path / "docs", "the bytes as prepared")
    item.document.path.write_text("changed after it was prepared", encoding="utf-8")
    result = publish(c.dep, c.bank, item.document, kind=Kind.FILE, year=item.year)
    assert result.published.attestation.digest == sha("the bytes as prepared")
    copy = tmp_path / "webank-2022-figures.json"
    shutil.copyfile(REPO_ROOT / "examples" / "webank-2022-figures.json", copy)
    figures, year = prepare(copy, kind=Kind.FIGURES, year=None)
    assert publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.year == year


def test_publish_many_hashes_each_file_once(
    anvil_consortium: Consortium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The script prepares every file up front and hands the prepared documents on."""
    import attest.app.publishing as publishing
    from attest.chain.keystore import create_keystore

    c = anvil_consortium
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(5):
        (docs / f"annex-{i}.txt").write_text(f"annex {i}", encoding="utf-8")
    manifest = tmp_path / "local.json"
    manifest.write_bytes(c.dep.manifest.dump())
    keystore = tmp_path / "bank.json"
    create_keystore(keystore, "pw", private_key=c.bank.key.hex())
    hashed: list[Path] = []
    hash_document = publishing.hash_document

    def counting(path: Any, **kwargs: Any) -> Any:
        hashed.append(Path(path))
        return hash_document(path, **kwargs)

    monkeypatch.setattr(publishing, "hash_document", counting)
    monkeypatch.setenv("ATTEST_PASSWORD", "pw")
    monkeypatch.syspath_prepend(str(REPO_ROOT / "scripts"))
    import publish_many

    args = [str(docs), "--year", "2022", "--deployment", str(manifest), "--keystore", str(keystore)]
    args += ["--rpc-url", c.chain.name, "--journal", str(tmp_path / "j.sqlite"), "--json"]
    assert publish_many.main(args) == 0
    assert sorted(hashed) == sorted(docs.glob("annex-*.txt"))  # each once
    sys.modules.pop("publish_many", None)


def test_a_disclosure_root_is_journaled_and_a_lost_block_is_resent(
    consortium: Consortium, tmp_path: Path
) -> None:
    from attest.app.disclosure import publish_disclosure_root

    c = consortium
    figures = tmp_path / "webank-2022-figures.json"
    shutil.copyfile(REPO_ROOT / "examples" / "webank-2022-figures.json", figures)
    publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    lost_tail = c.chain.tester.take_snapshot()
    with Journal(tmp_path / "j.sqlite") as journal:
        first = publish_disclosure_root(c.dep, c.bank, figures, journal=journal)
    c.chain.tester.revert_to_snapshot(lost_tail)
    with Journal(tmp_path / "j.sqlite") as journal:
        again = publish_disclosure_root(c.dep, c.bank, figures, journal=journal)
        assert [e for _, e, _ in journal.events()] == ["signed", "sent", "mined", "resent", "mined"]
        (intent,) = journal.intents()
        assert intent.path == f"disclosure root of {figures}"
    assert again.root == first.root and again.reused_tree
    assert again.published.attestation.transaction_hash == first.published.attestation.transaction_hash


# ------------------------------------------------------------------------------------------------
# Pipelining on a node that mines a block every half second: a window stays in flight a while.


@pytest.fixture(scope="module")
def interval_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from attest.devtools.node import AnvilNode

    node = AnvilNode(tmp_path_factory.mktemp("interval") / "node", block_time=0.5)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def slow(interval_node: Any) -> Consortium:
    from attest.devtools.node import dev_private_keys

    return build_consortium(Chain.connect(interval_node.rpc_url), funder_key=dev_private_keys(1)[0])


@pytest.mark.anvil
def test_a_digest_in_flight_is_waited_for_not_sent_again(slow: Consortium) -> None:
    """Windows of two: [a, b] is still in flight when [a, c] is planned; a must be found anchored
    (not sent again, which the registry would revert as AlreadyAttested)."""
    c = slow
    a, b, d = sha("in flight a"), sha("in flight b"), sha("in flight c")
    requests = [AnchorRequest(x, Kind.FILE, 2022) for x in (a, b, a, d)]
    results = [r for window in anchor(c.dep, c.bank, requests, window=2) for r in window]
    assert [r.outcome for r in results] == ["sent", "sent", "already", "sent"]
    assert attested_per_digest(c.dep, c.bank_id)[a] == 1


@pytest.mark.anvil
def test_a_reference_waits_for_the_window_in_flight(slow: Consortium) -> None:
    """A restatement of figures sent in the window before: its dry run must see them mined."""
    c = slow
    old = AnchorRequest(sha("figures v1"), Kind.FIGURES, 2022)
    uid = c.dep.uid_of(c.bank_id, old.digest)
    new = AnchorRequest(sha("figures v2"), Kind.FIGURES, 2022, ref=uid)
    results = [r for window in anchor(c.dep, c.bank, [old, new], window=1) for r in window]
    assert [r.outcome for r in results] == ["sent", "sent"], [str(r.error) for r in results]
    restated = c.dep.attestation(uid)
    assert restated is not None and restated.superseded_by == results[1].unwrap().attestation.uid


@pytest.mark.anvil
def test_a_window_is_sent_only_once_the_one_before_is_mined(slow: Consortium) -> None:
    """Pipelined, but the account has nothing waiting in the node's pool whenever a window is sent:
    a node that mines as transactions arrive must never mine this account's while more arrive."""
    c = slow
    client: Any = c.chain.client
    batch = client.answers
    waiting: list[int] = []

    def watched(calls: Any) -> Any:
        if any(method == "eth_sendRawTransaction" for method, _ in calls):
            counts = batch(
                [("eth_getTransactionCount", [c.bank.address, tag]) for tag in ("latest", "pending")]
            )
            latest, pending = (int(a["result"], 16) for a in sorted(counts, key=lambda a: a["id"]))
            waiting.append(pending - latest)
        return batch(calls)

    client.answers = watched
    try:
        requests = [AnchorRequest(sha(f"paced {i}"), Kind.FILE, 2022) for i in range(15)]
        results = [r for window in anchor(c.dep, c.bank, requests, window=5) for r in window]
    finally:
        client.answers = batch
    assert [r.outcome for r in results] == ["sent"] * 15
    assert waiting == [0, 0, 0]


@pytest.mark.anvil
def test_a_refused_window_is_not_followed_by_another(anvil_consortium: Consortium, tmp_path: Path) -> None:
    """The node refuses a window (the account cannot pay): the run stops there, exit 3, and no later
    window is signed or journaled."""
    c = anvil_consortium
    c.chain.w3.provider.make_request("anvil_setBalance", [c.bank.address, hex(10**9)])
    requests = [AnchorRequest(sha(f"unpaid {i}"), Kind.FILE, 2022) for i in range(4)]
    with Journal(tmp_path / "j.sqlite") as journal:
        with pytest.raises(ChainError, match="insufficient funds"):
            for _ in anchor(c.dep, c.bank, requests, journal=journal, window=2):
                pass
        assert journal.summary() == {"signed": 2}
