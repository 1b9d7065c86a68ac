"""A published receipt verifies with the network unplugged (every URL a closed port), against a
checkpoint of its block; a wrong checkpoint, an edited document or a forged proof fails."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, build_consortium
from worlds import run_attest

from attest.app.publishing import publish
from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.manifest import write_atomic

FIGURES = EXAMPLES / "webank-2022-figures.json"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Published:
    root: Path
    manifest: Path
    figures: Path
    receipt: Path
    checkpoint: str
    swapped: Path  # figures anchored as a plain file; its receipt claims "figures" (see the test)
    swapped_checkpoint: str
    batched: Path  # figures committed as a leaf of a batch root, with a batch receipt (see the test)
    batched_checkpoint: str


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    from attest.devtools.node import AnvilNode, dev_private_keys

    root = tmp_path_factory.mktemp("offline")
    node = AnvilNode(root / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        figures = root / FIGURES.name
        figures.write_bytes(FIGURES.read_bytes())
        result = publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
        a = result.published.attestation
        swapped = _anchored_as_a_file(c, root)
        batched = _committed_in_a_batch(c, root)
        unplugged = c.dep.manifest.model_copy(update={"rpc_url": f"http://127.0.0.1:{closed_port()}"})
        manifest = root / "deployment.json"
        write_atomic(manifest, unplugged.dump())
        yield Published(
            root,
            manifest,
            figures,
            result.receipt_path,
            f"{a.block_number}:{a.block_hash}",
            *swapped,
            *batched,
        )
    finally:
        node.stop()  # nothing below talks to a node: it is gone


def _anchored_as_a_file(c: Any, root: Path) -> tuple[Path, str]:
    """Other figures anchored with kind FILE, and their receipt (with its proofs) rewritten by its
    writer to say "figures", as the document does: the id (organisation, digest) is the same, so
    only the kind in the proven record tells the two apart."""
    from attest.app.proven import receipt_proofs
    from attest.app.publishing import build_receipt
    from attest.core.documents import hash_document
    from attest.core.sidefiles import receipt_name

    doc = json.loads(FIGURES.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 7)
    folder = root / "swapped"
    folder.mkdir()
    figures = folder / "figures.json"
    figures.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    hashed = hash_document(figures)
    a = c.dep.attest(c.bank, hashed.digest, Kind.FILE, 2022).attestation
    receipt = build_receipt(c.dep, hashed, a).with_proof(receipt_proofs(c.dep, [a])[a.uid])
    data = json.loads(receipt.dump())
    data["attestation"]["kind"] = "figures"
    out = folder / receipt_name(figures.name)
    out.write_text(json.dumps(data), encoding="utf-8")
    return out, f"{a.block_number}:{a.block_hash}"


def _committed_in_a_batch(c: Any, root: Path) -> tuple[Path, str]:
    """Figures committed as one leaf of a batch root beside another version of them, anchored as a
    batch (which `publish batch` refuses to build, but a bank can anchor by hand): it could then
    reveal whichever version suits. The member's receipt is what `publish batch` writes."""
    from attest.app.proven import receipt_proofs
    from attest.app.publishing import build_receipt
    from attest.core.batch_receipt import LEAF_ENCODING
    from attest.core.documents import hash_document
    from attest.core.merkle import StandardMerkleTree
    from attest.core.receipt import MerklePart
    from attest.core.sidefiles import receipt_name

    folder = root / "batched"
    folder.mkdir()
    versions = []
    for bump in (11, 13):
        doc = json.loads(FIGURES.read_text(encoding="utf-8"))
        doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + bump)
        path = folder / f"figures-{bump}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        versions.append(hash_document(path))
    tree = StandardMerkleTree.of([[bytes.fromhex(v.digest)] for v in versions], LEAF_ENCODING)
    a = c.dep.attest(c.bank, tree.root_bytes.hex(), Kind.BATCH, 2022).attestation
    member = versions[0]
    receipt = build_receipt(c.dep, member, a).with_proof(receipt_proofs(c.dep, [a])[a.uid])
    data = json.loads(receipt.dump())
    data["merkle"] = json.loads(
        MerklePart(
            root="0x" + tree.root_bytes.hex(),
            leaf_encoding=list(LEAF_ENCODING),
            value=["0x" + member.digest],
            proof=tree.get_proof(0),
        ).model_dump_json(by_alias=True)
    )
    out = folder / receipt_name(member.path.name)
    out.write_text(json.dumps(data), encoding="utf-8")
    return out, f"{a.block_number}:{a.block_hash}"


def offline(p: Published, receipt: Path, checkpoint: str) -> subprocess.CompletedProcess[str]:
    env = {"ATTEST_RPC_URL": f"http://127.0.0.1:{closed_port()}"}
    args = ["verify", str(receipt), "--offline", "--trust-block", checkpoint]
    args += ["-d", str(p.manifest)]
    return run_attest(*args, env=env, timeout=60)


def test_publishing_writes_a_receipt_with_its_proofs(published: Published) -> None:
    receipt = json.loads(published.receipt.read_text())
    assert receipt["schema"] == "esg-attest/receipt/2"
    assert set(receipt["proof"]) == {"format", "header", "registry", "governance"}


def test_a_receipt_verifies_with_the_network_unplugged(published: Published) -> None:
    done = offline(published, published.receipt, published.checkpoint)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ anchored      figures for 2022 by WeBank (org #1)" in done.stdout
    assert "bound to governance" in done.stdout and ": proven code (its codeHash" in done.stdout
    assert "cannot know of a revocation or restatement after that block" in done.stdout


def test_a_wrong_checkpoint_fails(published: Published) -> None:
    number = published.checkpoint.split(":")[0]
    done = offline(published, published.receipt, f"{number}:0x" + "42" * 32)
    assert done.returncode == 1 and "✗ receipt" in done.stdout, done.stdout + done.stderr


def test_an_edited_document_fails_offline(published: Published, tmp_path: Path) -> None:
    doc = json.loads(published.figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
    (tmp_path / published.figures.name).write_text(json.dumps(doc), encoding="utf-8")
    receipt = tmp_path / published.receipt.name
    receipt.write_bytes(published.receipt.read_bytes())
    done = offline(published, receipt, published.checkpoint)
    assert done.returncode == 1 and "✗ digest" in done.stdout, done.stdout + done.stderr


def test_a_forged_record_proof_fails_offline(published: Published, tmp_path: Path) -> None:
    """The receipt's writer claims another value for the record slot: its proof does not hold it."""
    data = json.loads(published.receipt.read_text())
    for entry in data["proof"]["registry"]["storageProof"]:
        entry["value"] = "0x1234"
    (tmp_path / published.figures.name).write_bytes(published.figures.read_bytes())
    receipt = tmp_path / published.receipt.name
    receipt.write_text(json.dumps(data))
    done = offline(published, receipt, published.checkpoint)
    assert done.returncode == 1 and "✗ anchored" in done.stdout and "0x1234" in done.stdout, done.stdout


def _tampered(p: Published, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the receipt (its document beside it) with `edit` applied: what its writer could hand over."""
    data = json.loads(p.receipt.read_text())
    edit(data)
    (tmp_path / p.figures.name).write_bytes(p.figures.read_bytes())
    receipt = tmp_path / p.receipt.name
    receipt.write_text(json.dumps(data))
    return receipt


def test_a_receipt_claiming_another_organisation_fails_offline(published: Published, tmp_path: Path) -> None:
    """The receipt says org #2 anchored it: its proofs hold org #1's slot, not the one asked for."""

    def other_org(d: dict[str, Any]) -> None:
        d["attestation"]["org_id"] = 2

    done = offline(published, _tampered(published, tmp_path, other_org), published.checkpoint)
    assert done.returncode == 1 and "✗ anchored" in done.stdout, done.stdout + done.stderr
    assert "holds no proof for storage slot" in done.stdout, done.stdout


def test_a_receipt_naming_another_block_hash_fails_offline(published: Published, tmp_path: Path) -> None:
    def other_hash(d: dict[str, Any]) -> None:
        d["chain"]["block_hash"] = "0x" + "ab" * 32

    done = offline(published, _tampered(published, tmp_path, other_hash), published.checkpoint)
    assert done.returncode == 1 and "names block hash 0xabab" in done.stdout, done.stdout + done.stderr


def test_a_header_of_another_block_fails_offline(published: Published, tmp_path: Path) -> None:
    """The receipt carries a header with another stateRoot (its proofs would then be checked against
    a root of the writer's choosing): it no longer hashes to the checkpoint's hash."""
    import rlp  # type: ignore[import-untyped]

    def other_root(d: dict[str, Any]) -> None:
        fields = rlp.decode(bytes.fromhex(d["proof"]["header"][2:]))
        fields[3] = b"\x11" * 32
        d["proof"]["header"] = "0x" + rlp.encode(fields).hex()

    done = offline(published, _tampered(published, tmp_path, other_root), published.checkpoint)
    assert done.returncode == 1 and "not to the checkpoint's hash" in done.stdout, done.stdout + done.stderr


def test_a_manifest_naming_another_governance_fails_offline(published: Published, tmp_path: Path) -> None:
    """The registry's proven codeHash binds its governance: a manifest with another one is refused."""
    from attest.core.manifest import load_manifest

    m = load_manifest(published.manifest)
    other = m.model_copy(update={"governance": m.governance.model_copy(update={"address": "0x" + "77" * 20})})
    forged = tmp_path / "deployment.json"
    write_atomic(forged, other.dump())
    done = offline(
        Published(**{**published.__dict__, "manifest": forged}), published.receipt, published.checkpoint
    )
    assert done.returncode == 1 and "✗ deployment" in done.stdout, done.stdout + done.stderr
    assert "is not the artifact's with membership" in done.stdout


def test_figures_anchored_as_another_kind_fail_offline(published: Published) -> None:
    """The receipt's writer says "figures", as the document is; the proven record says file."""
    done = offline(published, published.swapped, published.swapped_checkpoint)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✗ kind          anchored as file, but the document is figures" in done.stdout, done.stdout
    # and the receipt's own word about the attestation is held to the record (an adversarial review)
    assert (
        "✗ receipt" in done.stdout and "it says the attestation is figures, the record is file" in done.stdout
    )


def test_figures_under_a_batch_receipt_fail_offline_as_online(published: Published) -> None:
    """Online says `✗ kind … figures, which is never published in a batch`; offline accepted them
    (it had its own rules): a bank could commit several versions of its figures in one root and
    reveal whichever suits. Offline now runs the same rules."""
    done = offline(published, published.batched, published.batched_checkpoint)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✓ merkle" in done.stdout, done.stdout  # the leaf is in the root: only the kind rule catches it
    assert "✗ kind          the document is figures, which is never published in a batch" in done.stdout


@pytest.mark.parametrize("org_id", [-1, 2**40])
def test_a_receipt_naming_an_organisation_id_out_of_range_is_one_line(
    published: Published, tmp_path: Path, org_id: int
) -> None:
    """Found by an adversarial review: it ended `internal error` (exit 4); the registry's ids are uint32."""
    data = json.loads(published.receipt.read_text())
    data["attestation"]["org_id"] = org_id
    receipt = tmp_path / published.receipt.name
    receipt.write_text(json.dumps(data))
    done = offline(published, receipt, published.checkpoint)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "org_id" in line, line


def test_offline_takes_org_as_online_and_refuses_what_needs_the_chain(published: Published) -> None:
    """Found by an adversarial review: --org, --require-coverage were silently ignored offline."""
    base = ["verify", str(published.receipt), "--offline", "--trust-block", published.checkpoint]
    base += ["-d", str(published.manifest)]
    other = run_attest(*base, "--org", "Rival Bank", timeout=60)
    assert other.returncode == 1 and "✗ organisation" in other.stdout, other.stdout + other.stderr
    assert "--org Rival Bank is not the proven attestation's organisation, WeBank (org #1)" in other.stdout
    same = run_attest(*base, "--org", "WeBank", timeout=60)
    assert same.returncode == 0, same.stdout + same.stderr
    coverage = run_attest(*base, "--require-coverage", timeout=60)
    assert coverage.returncode == 2, coverage.stdout + coverage.stderr
    (line,) = coverage.stderr.strip().splitlines()
    assert "--require-coverage needs the chain" in line and "verify online" in line, line


def test_an_empty_header_is_one_line(published: Published, tmp_path: Path) -> None:
    """Found by an adversarial review: an empty header list leaked a constructor's message."""
    data = json.loads(published.receipt.read_text())
    data["proof"]["header"] = "0xc0"  # rlp([])
    receipt = tmp_path / published.receipt.name
    receipt.write_text(json.dumps(data))
    done = offline(published, receipt, published.checkpoint)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "has 0 fields, fewer than a block header's 15" in line and "__init__" not in line, line
