"""The architecture stays true: layers import downward only, the core stays pure, and no module
uses another module's private names (ARCHITECTURE.md).

The import contracts live in pyproject.toml ([tool.importlinter]) and are checked by import-linter.
Each rule is also shown to bite: a copy of the package with one forbidden import must fail it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CHECKED_TREES = ("attest", "scripts", "benchmarks", "tests")


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
    assert "3 kept, 0 broken" in result.stdout


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
        ("attest/app/verify.py", "import attest.server.app  # noqa", "Layers import downward"),
        ("attest/server/app.py", "from attest.chain import keystore  # noqa", "The server holds no key"),
        ("attest/server/app.py", "import attest.app.publishing  # noqa", "The server holds no key"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    result = _lint_imports(_copy_with(tmp_path, module, line))
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), result.stdout


def private_name_uses(source: str, module: str) -> list[str]:
    """Uses of another module's private names in `source` (the module `module`, dotted):
    `from x import _y` (unless `_y` is a private submodule of the importer's own package) and
    `obj._y` for any object but `self` / `cls`. Dunders are public."""
    found: list[str] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("attest"):
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                own_submodule = node.module == package or module == node.module + ".__init__"
                if private and not own_submodule:
                    found.append(f"line {node.lineno}: imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append(f"line {node.lineno}: uses .{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    problems = []
    for tree in CHECKED_TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            problems += [f"{path.relative_to(ROOT)} {p}" for p in private_name_uses(path.read_text(), dotted)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        "from attest.chain.deployment import _plain",
        "from attest.app.verify import Target, _DIGEST",
        "def f(chain):\n    return chain._rpc(1)",
        "x = Deployment(1, 2)._transact",
    ],
)
def test_the_private_name_check_bites(source: str) -> None:
    assert private_name_uses(source, "attest.app.bulk")


def test_the_private_name_check_allows_what_is_ones_own() -> None:
    own = "class A:\n    def f(self):\n        return self._x, type(self).__name__\n"
    assert private_name_uses(own, "attest.app.bulk") == []
    assert private_name_uses("from attest.cli import _verify", "attest.cli.__init__") == []
