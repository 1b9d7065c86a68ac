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


# -- NatSpec: every function, modifier, error and event of contracts/ is documented, OpenZeppelin style


@pytest.fixture(scope="module")
def asts() -> dict[str, dict[str, object]]:
    """The solc AST of every contracts/*.sol (not the OpenZeppelin imports), from the pinned compiler."""
    import solcx

    from attest.chain.compiler import REPO_ROOT, find_solc, standard_input

    source = standard_input()
    source["settings"] = {**source["settings"], "outputSelection": {"*": {"": ["ast"]}}}
    out = solcx.compile_standard(source, solc_binary=find_solc(), base_path=REPO_ROOT, allow_paths=REPO_ROOT)
    return {name: s["ast"] for name, s in out["sources"].items() if name.startswith("contracts/")}


DOCUMENTED = ("FunctionDefinition", "ModifierDefinition", "EventDefinition", "ErrorDefinition")


def natspec_problems(node: dict[str, object], where: str = "") -> list[str]:
    """What is missing from the NatSpec of `node` and everything under it (one line per problem)."""
    problems: list[str] = []
    kind = node.get("nodeType")
    name = str(node.get("name") or node.get("kind") or "")
    if kind in DOCUMENTED:
        doc = node.get("documentation")
        text = str(doc["text"]) if isinstance(doc, dict) else ""
        label = f"{where}.{name} ({kind})"
        if "@inheritdoc" not in text:
            if "@notice" not in text and "@dev" not in text:
                problems.append(f"{label}: no @notice or @dev")
            params = node.get("parameters", {})
            for p in params.get("parameters", []) if isinstance(params, dict) else []:
                if f"@param {p['name']} " not in text:
                    problems.append(f"{label}: no @param {p['name']}")
            returns = node.get("returnParameters", {})
            outputs = returns.get("parameters", []) if isinstance(returns, dict) else []
            if text.count("@return") < len(outputs):
                problems.append(f"{label}: {len(outputs)} return values, {text.count('@return')} @return")
    for value in node.values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, dict) and "nodeType" in child:
                problems.extend(natspec_problems(child, name if kind == "ContractDefinition" else where))
    return problems


def test_every_function_modifier_error_and_event_has_natspec(asts: dict[str, dict[str, object]]) -> None:
    assert set(asts) >= {"contracts/AttestationRegistry.sol", "contracts/ICommitteeRevocation.sol"}
    problems = [p for name, ast in sorted(asts.items()) for p in natspec_problems(ast, name)]
    assert not problems, "\n".join(problems)


def test_natspec_check_reports_what_is_missing() -> None:
    node = {
        "nodeType": "FunctionDefinition",
        "name": "f",
        "documentation": {"text": " @notice Does f.\n @param a The a."},
        "parameters": {"parameters": [{"name": "a"}, {"name": "b"}]},
        "returnParameters": {"parameters": [{"name": ""}]},
    }
    assert natspec_problems(node, "C") == [
        "C.f (FunctionDefinition): no @param b",
        "C.f (FunctionDefinition): 1 return values, 0 @return",
    ]
    assert natspec_problems({"nodeType": "ErrorDefinition", "name": "E"}, "C") == [
        "C.E (ErrorDefinition): no @notice or @dev"
    ]
