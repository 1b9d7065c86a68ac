"""The architecture stays true: layers import downward only and the core stays pure (ARCHITECTURE.md).

The import contracts live in pyproject.toml ([tool.importlinter]) and are checked by import-linter.
Each rule is also shown to bite: a copy of the package with one forbidden import must fail it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over the `attest` package found under `root` (its pyproject.toml)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package and its contracts, with `line` added at the end of `module`."""
    shutil.copytree(ROOT / "attest", tmp_path / "attest", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("attest/core/canonical.py", "from attest.chain import transport  # noqa", "Layers import downward"),
        ("attest/chain/sender.py", "import attest.app.journal  # noqa", "Layers import downward"),
        ("attest/app/verify.py", "from attest.cli import exits  # noqa", "Layers import downward"),
        ("attest/devtools/demo.py", "from attest.cli import _verify  # noqa", "Layers import downward"),
        ("attest/core/receipt.py", "import web3  # noqa", "The core is pure"),
        ("attest/core/merkle.py", "import sqlite3  # noqa", "The core is pure"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    result = _lint_imports(_copy_with(tmp_path, module, line))
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), result.stdout
