"""The higher apps reach the help desk's dashboard by registering their sections (DESIGN.md,
layering). That the dashboard code never imports them is checked with every other import by
tests/test_imports.py, against the layers of docs/architecture.md."""


def test_the_higher_apps_registered_their_sections(db):
    from helpdesk.dashboards.registry import dashboard_sections

    assert {"security_forms", "revocations"} <= set(dashboard_sections.keys())
