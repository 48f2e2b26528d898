"""The rules of docs/architecture.md, each checked on the source: imports are read with ast (also those inside
functions), so a rule is broken the moment the code is written, not when the import happens to run."""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("app", "worker", "camera_ingest", "gate_client", "wsgi.py", "celery_config.py")
MAX_LINES = 400


def python_files(*roots: str) -> list[Path]:
    """The tracked and new (not ignored) .py files under roots (folders or files), relative to the repository."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *roots],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return [Path(name) for name in listed if name.endswith(".py") and (REPO_ROOT / name).exists()]


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file: `import a.b` gives a.b; `from a import b` gives a.b (b may be a
    module) and a; relative imports are resolved against the file's package."""
    tree = ast.parse((REPO_ROOT / path).read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            package = list(path.parent.parts[: len(path.parent.parts) - node.level + 1]) if node.level else []
            base = ".".join([*package, *([node.module] if node.module else [])])
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def offending(roots: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    """file:line module for each import under roots of a module in (or below) one of the forbidden ones."""
    found = []
    for path in python_files(*roots):
        for line, module in imports(path):
            if any(module == name or module.startswith(f"{name}.") for name in forbidden):
                found.append(f"{path}:{line} {module}")
    return sorted(set(found))


def test_the_recognition_core_imports_no_flask_no_database_and_nothing_above_it() -> None:
    # numpy in, numpy out: not Flask, not SQLAlchemy, not the models or extensions, nothing of app/ but the core.
    forbidden = ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy", "celery", "redis", "app.models",
                 "app.extensions", "app.config")  # fmt: skip
    assert offending(("app/recognition",), forbidden) == []
    outside = [
        f"{path}:{line} {module}"
        for path in python_files("app/recognition")
        for line, module in imports(path)
        if module.startswith("app.") and not module.startswith("app.recognition")
    ]
    assert outside == []


def test_the_gate_client_imports_nothing_from_the_server() -> None:
    assert offending(("gate_client",), ("app", "worker", "camera_ingest", "celery_config", "wsgi", "testkit")) == []


@pytest.mark.parametrize("roots", [PRODUCT, ("tests",), ("demo",), ("testkit",)], ids=str)
def test_no_benchmark_is_imported_outside_bench(roots: tuple[str, ...]) -> None:
    assert offending(roots, ("bench",)) == []


def test_the_product_imports_neither_the_test_kit_nor_the_demo() -> None:
    assert offending(PRODUCT, ("testkit", "demo", "tests")) == []


def test_every_caller_trains_through_the_one_training_function() -> None:
    # app/recognition/training.py::train_from_vectors; the classifier's own tests may call train_classifier directly.
    allowed = {Path("app/recognition/training.py"), Path("tests/recognition/test_recognition_classify.py")}
    found = offending(("app", "worker", "camera_ingest", "bench", "demo", "testkit", "tests"),
                      ("app.recognition.classify.train_classifier",))  # fmt: skip
    assert [place for place in found if Path(place.split(":")[0]) not in allowed] == []


def test_views_and_admin_do_not_import_each_other() -> None:
    assert offending(("app/views",), ("app.admin",)) == []
    assert offending(("app/admin",), ("app.views",)) == []


def app_part(module: str) -> str | None:
    """The part of app/ a module name belongs to (app.gates.decide -> gates, app.accounts -> accounts), if any."""
    names = module.split(".")
    if names[0] != "app" or len(names) < 2:
        return None
    exists = (REPO_ROOT / "app" / names[1]).is_dir() or (REPO_ROOT / "app" / f"{names[1]}.py").is_file()
    return names[1] if exists else None


def test_the_parts_of_app_import_each_other_without_cycles() -> None:
    # app/__init__.py (the factory) sits on top and may import every part; among the parts, no cycle.
    graph: dict[str, set[str]] = {}
    for path in python_files("app"):
        part = app_part(".".join(path.with_suffix("").parts))
        if part is None or part == "__init__":
            continue
        graph.setdefault(part, set()).update(
            other for _line, module in imports(path) if (other := app_part(module)) not in (None, part)
        )

    def cycle_from(start: str, node: str, seen: list[str]) -> list[str] | None:
        for following in sorted(graph.get(node, ())):
            if following == start:
                return [*seen, following]
            if following not in seen:
                found = cycle_from(start, following, [*seen, following])
                if found:
                    return found
        return None

    cycles = [cycle for part in sorted(graph) if (cycle := cycle_from(part, part, [part]))]
    assert cycles == []


def test_no_module_is_longer_than_400_lines() -> None:
    long = {
        str(path): lines
        for path in python_files(".")
        if path.parts[0] != "migrations" and (lines := len((REPO_ROOT / path).read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
