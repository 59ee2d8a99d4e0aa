"""Shared helpers: the project-wide benchmark measure and small hierarchies for brute-force checks."""
import importlib.util
from pathlib import Path

import pytest

SHARED = Path(__file__).parents[4] / ".." / "shared"


def load_shared_granularity():
    spec = importlib.util.spec_from_file_location("shared_granularity", SHARED / "bench" / "granularity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def shared_dir():
    return SHARED


@pytest.fixture(scope="session")
def shared_granularity():
    return load_shared_granularity()


SMALL_HIERARCHIES = {
    "a": [[f"a{i}", f"a{i // 2}x", f"a{i // 4}y", "*"] for i in range(6)],
    "b": [["b0", "*"], ["b1", "*"], ["b2", "*"]],
    "c": [[f"c{i}", "c-low" if i < 2 else "c-high", "*"] for i in range(4)],
}


@pytest.fixture(scope="session")
def small_hierarchy_rows():
    return SMALL_HIERARCHIES


@pytest.fixture
def hierarchy_dir(tmp_path):
    """The small hierarchies written as ARX-style files."""
    for column, rows in SMALL_HIERARCHIES.items():
        (tmp_path / f"small_hierarchy_{column}.csv").write_text("\n".join(";".join(r) for r in rows) + "\n")
    return tmp_path
