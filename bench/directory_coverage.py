"""Benchmark: who acts for N offices at once (the directory page, the home panels).

Compares the set-based ``office_coverage`` (two queries for any number of offices) with asking
``acting_local_expert`` office by office, on a throwaway SQLite database filled with N offices,
their primary and alternate, and a quarter of the primaries away.

    .venv/bin/python bench/directory_coverage.py [--offices 500] [--repeat 5]

Prints the median time of each way and their ratio.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ccap-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        CCAP_VAR_DIR=workdir,
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    offices = _fill(args.offices)

    from helpdesk.directory.selectors import acting_local_expert, office_coverage

    def set_based():
        coverage = office_coverage(offices)
        return [c.acting for c in coverage.values()]

    def one_by_one():
        return [acting_local_expert(office) for office in offices]

    assert set_based() == one_by_one(), "both ways must agree before they are timed"
    results = {
        name: _median(fn, args.repeat)
        for name, fn in [("set_based", set_based), ("one_by_one", one_by_one)]
    }
    print(f"offices: {args.offices}, repeats: {args.repeat}")
    for name, seconds in results.items():
        print(f"  {name:<11} median {seconds * 1000:8.1f} ms")
    print(f"  one_by_one / set_based = {results['one_by_one'] / results['set_based']:.1f}x")


def _median(fn, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _fill(count: int):
    from datetime import timedelta

    from django.utils import timezone

    from helpdesk.models import (
        Absence,
        Agency,
        AgencyKind,
        LocalExpertDesignation,
        Office,
        Person,
        Region,
    )

    region = Region.objects.create(number=1, name="Bench")
    agency = Agency.objects.create(
        name="Bench CCR&R", code="bench", kind=AgencyKind.CCRR, region=region
    )
    offices = Office.objects.bulk_create(
        Office(agency=agency, name=f"Office {i}") for i in range(count)
    )
    people = Person.objects.bulk_create(
        Person(first_name=f"P{i}", last_name=role, office=office)
        for i, office in enumerate(offices)
        for role in ("Primary", "Alternate")
    )
    LocalExpertDesignation.objects.bulk_create(
        LocalExpertDesignation(office=person.office, person=person, role=person.last_name.lower())
        for person in people
    )
    now = timezone.now()
    Absence.objects.bulk_create(
        Absence(person=person, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
        for person in people[::8]
        if person.last_name == "Primary"
    )
    return list(Office.objects.select_related("agency"))


if __name__ == "__main__":
    main()
