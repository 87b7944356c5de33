"""The help desk's dashboard code never imports the apps above it (DESIGN.md, layering): they
register their sections instead."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HELPDESK_FILES = [
    *sorted((ROOT / "helpdesk" / "dashboards").glob("*.py")),
    ROOT / "helpdesk" / "lib" / "csv_export.py",
    ROOT / "helpdesk" / "tickets" / "selectors.py",
]


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", HELPDESK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_helpdesk_dashboard_code_imports_no_higher_app(path):
    higher = {n for n in _imported(path) if n.split(".")[0] in {"forms_4052_4055", "access"}}
    assert higher == set()


def test_the_higher_apps_registered_their_sections(db):
    from helpdesk.dashboards.registry import dashboard_sections

    assert {"security_forms", "revocations"} <= set(dashboard_sections.keys())
