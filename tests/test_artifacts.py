"""The committed artifacts are exactly what the pinned compiler makes of contracts/, for `paris`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from attest.chain.compiler import ARTIFACTS_DIR, CONTRACTS, SOLC_VERSION, artifact_bytes, compile_contracts
from attest.core.contracts import load_artifact

# Opcodes the paris EVM lacks: PUSH0 (shanghai); TLOAD, TSTORE, MCOPY, BLOBHASH, BLOBBASEFEE (cancun).
POST_PARIS = {
    0x5F: "PUSH0",
    0x5C: "TLOAD",
    0x5D: "TSTORE",
    0x5E: "MCOPY",
    0x49: "BLOBHASH",
    0x4A: "BLOBBASEFEE",
}


@pytest.fixture(scope="module")
def fresh() -> dict[str, dict[str, object]]:
    return compile_contracts()


@pytest.mark.parametrize("name", CONTRACTS)
def test_committed_artifact_is_reproducible(fresh: dict[str, dict[str, object]], name: str) -> None:
    committed = (ARTIFACTS_DIR / f"{name}.json").read_bytes()
    assert artifact_bytes(fresh[name]) == committed


@pytest.mark.parametrize("name", CONTRACTS)
def test_artifact_records_pinned_compiler_and_settings(name: str) -> None:
    compiler = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())["compiler"]
    assert compiler["version"] == SOLC_VERSION
    assert compiler["settings"]["evmVersion"] == "paris"
    assert compiler["settings"]["optimizer"]["enabled"] is True


def opcodes(code_hex: str, *, metadata: bool = False) -> list[int]:
    """Opcodes of EVM bytecode, skipping PUSH data; with `metadata`, strip solc's trailing CBOR first."""
    code = bytes.fromhex(code_hex.removeprefix("0x"))
    if metadata:
        code = code[: -(int.from_bytes(code[-2:], "big") + 2)]
    out, i = [], 0
    while i < len(code):
        op = code[i]
        out.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return out


@pytest.mark.parametrize("name", CONTRACTS)
def test_runtime_code_uses_no_post_paris_opcode(name: str) -> None:
    found = {
        POST_PARIS[op]
        for op in opcodes(load_artifact(name).deployed_bytecode, metadata=True)
        if op in POST_PARIS
    }
    assert not found


def test_opcode_scanner_detects_push0() -> None:
    assert 0x5F in opcodes("0x60015f00")  # PUSH1 01, PUSH0, STOP
    assert 0x5F not in opcodes("0x605f00")  # PUSH1 5f: data, not an opcode


def test_compile_refuses_other_compiler_version(tmp_path: Path) -> None:
    from attest.core.errors import InputError

    fake = tmp_path / "solc"
    fake.write_text("#!/bin/sh\necho 'Version: 0.8.19+commit.7dd6d404.Linux.g++'\n")
    fake.chmod(0o755)
    with pytest.raises(InputError, match="pinned"):
        compile_contracts(solc=fake)


def test_a_solc_on_path_that_fails_is_not_used_and_stays_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """solc-select's `solc` shim (installed with Slither) tries to download and prints a traceback."""
    from attest.chain.compiler import WASM_SHIM, find_solc

    fake = tmp_path / "solc"
    fake.write_text("#!/bin/sh\necho 'Traceback (most recent call last): no network' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("ATTEST_SOLC", raising=False)
    assert find_solc() == WASM_SHIM
    assert "Traceback" not in capfd.readouterr().err
