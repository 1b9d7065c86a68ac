"""Compile `contracts/` into the committed artifacts, reproducibly.

The compiler is pinned (SOLC_VERSION) and driven through py-solc-x's standard-JSON interface. No
native solc can be downloaded on most machines, so the default executable is `solc_wasm.cjs`, a shim
over the official WebAssembly build from npm; a native solc of exactly the pinned version is used
instead when one is on PATH (or named by ATTEST_SOLC). Both produce identical bytecode.

Publishing and verifying never compile: they read the artifacts this module writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from attest.core.errors import InputError

SOLC_VERSION = "0.8.28+commit.7893614a"
CONTRACTS = ("ConsortiumGovernance", "AttestationRegistry")
SETTINGS: dict[str, Any] = {
    "evmVersion": "paris",
    "optimizer": {"enabled": True, "runs": 200},
    "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
    "outputSelection": {
        "*": {
            "": ["ast"],  # only to name the immutables (`immutableNames`); not kept in the artifact
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
                "storageLayout",
            ],
        }
    },
}

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PACKAGE_DIR.parent
ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"
WASM_SHIM = Path(__file__).resolve().parent / "solc_wasm.cjs"


def find_solc() -> Path:
    """The compiler executable: ATTEST_SOLC, else a native solc of the pinned version, else the shim."""
    named = os.environ.get("ATTEST_SOLC")
    if named:
        return Path(named)
    native = shutil.which("solc")
    if native and _native_version(native) == SOLC_VERSION:
        return Path(native)
    if not (REPO_ROOT / "node_modules" / "solc").is_dir():
        raise InputError("the npm package 'solc' is not installed: run `npm ci` at the repository root")
    return WASM_SHIM


def _native_version(solc: str) -> str | None:
    """The version a `solc` on PATH reports, or None; its own chatter never reaches our stderr.

    The `solc` on PATH may be solc-select's shim (a dependency of Slither), which tries to download a
    compiler and prints a traceback when it cannot: any such binary is simply not used.
    """
    try:
        done = subprocess.run([solc, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"Version: (\d+\.\d+\.\d+)", done.stdout)
    return found.group(1) if done.returncode == 0 and found else None


def standard_input(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The standard-JSON input: every contracts/*.sol by content; imports resolve under `root`."""
    sources = {
        f"contracts/{p.name}": {"content": p.read_text(encoding="utf-8")}
        for p in sorted((root / "contracts").glob("*.sol"))
    }
    return {"language": "Solidity", "sources": sources, "settings": SETTINGS}


def compile_contracts(root: Path = REPO_ROOT, solc: Path | None = None) -> dict[str, dict[str, Any]]:
    """Compile and return one artifact per deployable contract, keyed by contract name."""
    import solcx
    from solcx.wrapper import get_version_str_from_solc_binary

    solc = solc or find_solc()
    version = get_version_str_from_solc_binary(solc)
    if version != SOLC_VERSION:
        raise InputError(f"compiler {solc} is {version}, the build is pinned to {SOLC_VERSION}")
    output = solcx.compile_standard(standard_input(root), solc_binary=solc, base_path=root, allow_paths=root)
    artifacts: dict[str, dict[str, Any]] = {}
    immutables = _immutable_names(output)
    for source_name, contracts in output["contracts"].items():
        for name, compiled in contracts.items():
            if name not in CONTRACTS:
                continue
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "immutableReferences": compiled["evm"]["deployedBytecode"]["immutableReferences"],
                # which immutable each reference is, so its value can be filled in by meaning
                "immutableNames": {
                    ast_id: immutables[int(ast_id)]
                    for ast_id in compiled["evm"]["deployedBytecode"]["immutableReferences"]
                },
                # where each state variable lives: storage proofs (attest.core.storage) read slots by it
                "storageLayout": compiled["storageLayout"],
                "compiler": {"version": SOLC_VERSION, "settings": _recorded_settings()},
            }
    missing = set(CONTRACTS) - set(artifacts)
    if missing:
        raise InputError(f"compilation produced no artifact for {sorted(missing)}")
    return artifacts


def _immutable_names(output: dict[str, Any]) -> dict[int, str]:
    """`Contract.variable` of every immutable state variable, by its AST id."""
    names: dict[int, str] = {}

    def walk(node: Any, contract: str) -> None:
        if isinstance(node, dict):
            if node.get("nodeType") == "ContractDefinition":
                contract = node["name"]
            if node.get("nodeType") == "VariableDeclaration" and node.get("mutability") == "immutable":
                names[int(node["id"])] = f"{contract}.{node['name']}"
            for value in node.values():
                walk(value, contract)
        elif isinstance(node, list):
            for value in node:
                walk(value, contract)

    for source in output["sources"].values():
        walk(source["ast"], "")
    return names


def _recorded_settings() -> dict[str, Any]:
    return {k: v for k, v in SETTINGS.items() if k != "outputSelection"}


def artifact_bytes(artifact: dict[str, Any]) -> bytes:
    """The exact bytes an artifact file holds (stable formatting, so the digest is reproducible)."""
    return (json.dumps(artifact, indent=2, sort_keys=True) + "\n").encode()


def write_artifacts(artifacts: dict[str, dict[str, Any]], out_dir: Path = ARTIFACTS_DIR) -> dict[str, str]:
    """Write each artifact as `<Name>.json`; return their sha256 digests."""
    out_dir.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name, artifact in sorted(artifacts.items()):
        data = artifact_bytes(artifact)
        (out_dir / f"{name}.json").write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def main() -> None:
    """`python -m attest.chain.compiler`: rebuild the committed artifacts from contracts/."""
    solc = find_solc()
    digests = write_artifacts(compile_contracts(solc=solc))
    print(f"compiled with {solc} ({SOLC_VERSION}, evmVersion paris, optimizer 200 runs)")
    for name, digest in digests.items():
        print(f"  {name}.json  sha256 {digest}")


if __name__ == "__main__":
    main()
