"""``seed_demo``: the demo directory, then every registered demo seeder in order.

Each feature and higher app registers its seeder from ``AppConfig.ready`` by dotted path (so no
process imports the demo code until it seeds); a seeder returns how many records it created
and must be idempotent (seeding twice changes nothing).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.module_loading import import_string

from helpdesk.demo.directory import SeedReport, seed_directory
from helpdesk.registry import Registry


@dataclass(frozen=True)
class DemoSeeder:
    name: str
    seed: str  # dotted path of a function taking nothing and returning a count
    order: int = 100


demo_seeders: Registry[DemoSeeder] = Registry(
    "demo seeders", key=lambda s: s.name, order=lambda s: s.order
)


@transaction.atomic
def seed_demo(password: str | None = None) -> SeedReport:
    report = seed_directory(password)
    for seeder in demo_seeders:
        report.created += import_string(seeder.seed)()
    return report
