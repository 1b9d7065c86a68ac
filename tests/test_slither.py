"""Slither over contracts/, compiled by the build's own pinned compiler; every finding is triaged.

crytic-compile's standard-JSON mode (`--compile-force-framework solc-json`) runs `solc --version` and
`solc --standard-json` by the bare name `solc` from PATH, so the test puts the project's compiler
(`attest.chain.compiler.find_solc()`, usually the WebAssembly shim) on PATH under that name. The input is the
build's own standard JSON (same sources, remappings, evmVersion and optimizer), with crytic-compile's
output selection (it needs the AST), so Slither analyses exactly what the artifacts are built from.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from attest.chain.compiler import REPO_ROOT, SOLC_VERSION, find_solc, standard_input

TRIAGE = REPO_ROOT / "contracts" / "SLITHER_TRIAGE.md"
SLITHER = Path(sys.executable).parent / "slither"


@pytest.fixture(scope="module")
def slither_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("slither")
    bin_dir = work / "bin"
    bin_dir.mkdir()
    (bin_dir / "solc").symlink_to(find_solc())
    source = standard_input()
    source["settings"] = {k: v for k, v in source["settings"].items() if k != "outputSelection"}
    input_path = work / "input.json"
    input_path.write_text(json.dumps(source))
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    version = subprocess.run(["solc", "--version"], env=env, capture_output=True, text=True, check=True)
    assert SOLC_VERSION in version.stdout, version.stdout
    proc = subprocess.run(
        [str(SLITHER), str(input_path), "--compile-force-framework", "solc-json",
         "--filter-paths", "node_modules", "--json", "-"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.stdout, f"slither printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(proc.stdout)
    assert report["success"], report["error"]
    return report


def finding_key(finding: dict[str, Any]) -> tuple[str, str]:
    """(detector, location): the location is the first element Slither names, before its source range."""
    return finding["check"], finding["description"].split(" (", 1)[0].strip()


def accepted() -> dict[tuple[str, str], str]:
    """The rows of the 'Accepted findings' table in contracts/SLITHER_TRIAGE.md."""
    text = TRIAGE.read_text(encoding="utf-8")
    section = text.split("## Accepted findings", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|(.+)\|\s*$", line)
        if m:
            rows[(m.group(1), m.group(2))] = m.group(3).strip()
    return rows


def test_slither_analysed_our_contracts(slither_report: dict[str, Any]) -> None:
    printed = json.dumps(slither_report)
    assert "contracts/AttestationRegistry.sol" in printed
    assert "contracts/ConsortiumGovernance.sol" in printed


def test_no_high_or_medium_findings(slither_report: dict[str, Any]) -> None:
    serious = [
        f"{f['impact']} {f['check']}: {f['description'].strip().splitlines()[0]}"
        for f in slither_report["results"].get("detectors", [])
        if f["impact"] in ("High", "Medium")
    ]
    assert not serious, "\n".join(serious)


def test_every_finding_is_triaged_and_no_triage_row_is_stale(slither_report: dict[str, Any]) -> None:
    found = {
        finding_key(f)
        for f in slither_report["results"].get("detectors", [])
        if f["impact"] not in ("High", "Medium")
    }
    rows = accepted()
    assert rows, "the triage file lists no accepted findings: the table format changed?"
    assert all(len(why) > 40 for why in rows.values()), "every accepted finding needs a real justification"
    untriaged = sorted(found - set(rows))
    stale = sorted(set(rows) - found)
    assert not untriaged, f"new Slither findings, fix or justify them in {TRIAGE.name}: {untriaged}"
    assert not stale, f"{TRIAGE.name} lists findings Slither no longer reports, delete them: {stale}"


def test_triage_parser_reads_the_table() -> None:
    rows = accepted()
    assert ("cyclomatic-complexity", "ConsortiumGovernance._apply(ConsortiumGovernance.Action,bytes)") in rows
