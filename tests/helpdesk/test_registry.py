"""The one registry mechanism: every extension point is a ``Registry``, keyed and ordered."""

from dataclasses import dataclass

from helpdesk.registry import Registry


@dataclass(frozen=True)
class Entry:
    name: str
    order: int = 100


def test_entries_come_back_in_their_order_then_in_registration_order():
    registry = Registry("test", key=lambda e: e.name, order=lambda e: e.order)
    for entry in [Entry("late", 30), Entry("b"), Entry("early", 10), Entry("a")]:
        registry.register(entry)

    assert registry.keys() == ["early", "late", "b", "a"]


def test_registering_a_key_again_replaces_the_entry_instead_of_adding_one():
    registry = Registry("test", key=lambda e: e.name)
    registry.register(Entry("panel", 1))
    registry.register(Entry("panel", 2))

    assert list(registry) == [Entry("panel", 2)]
    assert len(registry) == 1


def test_unregister_removes_and_ignores_what_is_not_there():
    registry = Registry("test", key=lambda e: e.name)
    registry.register(Entry("one"))
    registry.unregister("one")
    registry.unregister("never registered")

    assert "one" not in registry
    assert registry.get("one") is None


def test_every_extension_point_of_the_project_is_a_registry(db):
    from access.seed_data import built_in_credential_groups, built_in_systems
    from forms_4052_4055.seed_data import built_in_form_types
    from helpdesk.dashboards.registry import dashboard_sections
    from helpdesk.demo.seed import demo_seeders
    from helpdesk.home.panels import home_panels, nav_links
    from helpdesk.lib.schedules import worker_schedules
    from helpdesk.mail.handlers import mail_handlers

    registries = [
        home_panels,
        dashboard_sections,
        demo_seeders,
        mail_handlers,
        built_in_form_types,
        built_in_systems,
        built_in_credential_groups,
        nav_links,
        worker_schedules,
    ]
    assert all(isinstance(r, Registry) and len(r) for r in registries)
    # Higher apps add theirs from AppConfig.ready; the help desk never imports them.
    assert {"security forms", "departures"} <= set(mail_handlers.keys())
    assert {"security forms", "access"} <= set(demo_seeders.keys())
    assert {"Access sweep", "Security forms sweep", "SLA sweep"} <= set(worker_schedules.keys())
