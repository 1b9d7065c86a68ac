"""The year a document states must be the year its attestation records (the `year` check).

The registry takes the year as the publisher gives it. WeBank's 2023 figures anchored as 2022 —
which no `attest publish` does, but a direct call to the registry can — used to verify: they then
stood as 2022 figures, and 2022 credits could back the 2023 neutrality claim as "the same claim
again". Through the real CLI (with proofs) and the page's verification endpoint, on a real anvil.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, second_party
from worlds import World, anvil_world, run_attest

from attest.app.claimed import verify_claimed
from attest.core.contracts import Kind
from attest.core.documents import hash_document


def anchored_as_2022(w: World) -> dict[str, Any]:
    """2023 figures anchored as 2022 (`misdated`), and 2022 figures anchored as 2022 (`honest`)."""
    c, root = w.c, w.root
    misdated = root / "webank-2023-figures.json"
    shutil.copy(EXAMPLES / "illustrative-webank-2023-figures.json", misdated)
    c.dep.attest(c.bank, hash_document(misdated).digest, Kind.FIGURES, 2022)
    honest = root / "webank-2022-figures.json"
    shutil.copy(EXAMPLES / "webank-2022-figures.json", honest)
    c.dep.attest(c.bank, hash_document(honest).digest, Kind.FIGURES, 2022)
    return {"misdated": misdated, "honest": honest}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("year")
    with anvil_world(root, figures=None, setup=anchored_as_2022, mine_blocks=2) as w:
        yield w


def verify(w: World, target: Path) -> subprocess.CompletedProcess[str]:
    args = ["verify", str(target), "-d", str(w.manifest), "--rpc-url", w.node.rpc_url]
    args += ["--require-proofs", *second_party(w.node.rpc_url)]
    return run_attest(*args, timeout=120)


def test_figures_anchored_under_another_year_fail_the_year_check(world: World) -> None:
    done = verify(world, world.misdated)
    assert done.returncode == 1, done.stdout + done.stderr
    (year,) = [x for x in done.stdout.splitlines() if x.lstrip()[2:].startswith("year ")]
    assert year.lstrip().startswith("✗"), done.stdout
    assert "the document states 2023, its attestation records 2022" in year, year
    assert "✓ proofs" in done.stdout  # the record's year is proven: the node cannot change it


def test_figures_anchored_under_their_own_year_pass(world: World) -> None:
    done = verify(world, world.honest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " year " not in done.stdout  # silent when they agree: the anchored line names the year


def test_the_page_applies_the_same_year_check(world: World) -> None:
    doc = hash_document(world.misdated)
    request = {
        "digest": doc.digest,
        "rule": "sha256-rfc8785",
        "document": {"name": world.misdated.name, "type": "figures", "organisation": "WeBank", "year": 2023},
    }
    report = verify_claimed(world.c.dep, request)
    assert not report.verified
    (year,) = [c for c in report.checks if c.name == "year"]
    assert year.status == "fail" and "the document states 2023, its attestation records 2022" in year.detail
