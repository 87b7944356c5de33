"""Benchmark: the API's ticket list (``GET /api/v1/tickets/``) over N tickets.

Builds a throwaway PostgreSQL database (``ccap_bench_api``, created and dropped here; or a
temporary SQLite file), fills it with N tickets over 50 agencies and the states (open work and
finished, some assigned, due dates set on the open ones), ANALYZEs, makes a help desk user and a
local expert with a personal access token each, then requests the list through
``django.test.Client`` with ``Authorization: Bearer`` (the whole middleware stack, DEBUG off):
one warm-up, then ``--requests`` timed requests per case; prints median, p95 and the queries of
one request. The cases: the help desk queue's first page, a page deep in it (following the
cursors), each sort, a filter, 100 a page, and a local expert's agency queue. The query count
must not grow with the page size or the depth.

    .venv/bin/python bench/api_list.py --db postgres|sqlite [--tickets 100000] [--requests 50]
        [--keep | --reuse]
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import load_average, p95, pg_admin  # noqa: E402 (bench/ is on the path)

PG_DATABASE = "ccap_bench_api"
TARGET_P95_MS = 100
BATCH = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per case")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default=PG_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--reuse", action="store_true", help="time again on a database a --keep run filled"
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ccap-bench-api-")
    if args.db == "postgres" and not args.reuse:
        pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {args.pg_database}")
        pg_admin(args.pg_url, f"CREATE DATABASE {args.pg_database}")
    if args.db == "postgres":
        database_url = f"{args.pg_url}/{args.pg_database}"
    else:
        database_url = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        CCAP_VAR_DIR=workdir,
        LOG_LEVEL="WARNING",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        THROTTLE_API_PER_TOKEN="1000000/m",  # noqa: S106  # a rate, not a password
    )
    try:
        _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.db == "postgres" and not (args.keep or args.reuse):
            pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {args.pg_database}")
        shutil.rmtree(workdir, ignore_errors=True)


def _run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; tickets: {args.tickets:,}; runs: {args.requests}")
    print(f"load average at start: {load_average()}")
    started = time.perf_counter()
    if not args.reuse:
        _fill(args.tickets)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - started:.1f} s")
    _measure(args.requests)
    print(f"load average at end: {load_average()}")


def _fill(count: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from helpdesk.directory.roles import Role
    from helpdesk.models import (
        Agency,
        AgencyKind,
        DesignationRole,
        LocalExpertDesignation,
        Office,
        Person,
        Region,
        System,
        Ticket,
        TrackingSequence,
        User,
    )

    rng = random.Random(2026)
    now = timezone.now()
    states = ["submitted", "in_progress", "escalated_to_mis", "awaiting_info", "resolved", "closed"]
    with transaction.atomic():
        region = Region.objects.create(number=1, name="Bench")
        agencies = Agency.objects.bulk_create(
            Agency(
                name=f"Bench CCR&R {i:02d}", code=f"b-{i:02d}", kind=AgencyKind.CCRR, region=region
            )
            for i in range(50)
        )
        offices = Office.objects.bulk_create(
            Office(agency=a, name="Main office", city=f"Town {i}") for i, a in enumerate(agencies)
        )
        desk = User.objects.create(username="desk", first_name="Desk", is_active=True)
        Group.objects.get(name=Role.HELP_DESK).user_set.add(desk)
        expert_user = User.objects.create(username="expert", is_active=True)
        Group.objects.get(name=Role.LOCAL_EXPERT).user_set.add(expert_user)
        expert = Person.objects.create(
            first_name="Pat", last_name="Expert", office=offices[0], user=expert_user
        )
        LocalExpertDesignation.objects.create(
            office=offices[0], person=expert, role=DesignationRole.PRIMARY
        )
        created = sorted(now - timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(count))
        systems = list(System.values)
        priorities = ["p1", "p2", "p3", "p4"]
        for start in range(0, count, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, count)):
                state = rng.choice(states)
                open_ = state not in ("resolved", "closed")
                rows.append(
                    Ticket(
                        state=state,
                        tracking_number=f"CCAP-2026-{i + 1:06d}",
                        office=rng.choice(offices),
                        summary=f"Bench ticket {i}",
                        system=rng.choice(systems),
                        priority=rng.choice(priorities),
                        description="Bench.",
                        assignee=desk if state != "submitted" and rng.random() < 0.7 else None,
                        created_at=created[i],
                        submitted_at=created[i],
                        state_changed_at=created[i],
                        response_due_at=created[i] + timedelta(hours=4) if open_ else None,
                        resolution_due_at=(
                            created[i] + timedelta(days=3)
                            if open_ and state != "awaiting_info"
                            else None
                        ),
                    )
                )
            Ticket.objects.bulk_create(rows, batch_size=BATCH)
        TrackingSequence.objects.create(year=2026, last_value=count)


def _token(username: str) -> str:
    from django.utils import timezone

    from helpdesk.actor import Actor
    from helpdesk.api import tokens
    from helpdesk.models import TokenScope, User

    _token, secret = tokens.create_token(
        by=Actor.of(User.objects.get(username=username)),
        name="bench",
        scope=TokenScope.READ,
        expires_at=timezone.now() + timedelta(days=1),
        second_factor_passed=True,
    )
    return secret


def _deep_cursor(client, headers, pages: int) -> str:
    url = "/api/v1/tickets/"
    for _ in range(pages):
        url = client.get(url, headers=headers).json()["next"]
    return url


def _measure(requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    desk = {"Authorization": f"Bearer {_token('desk')}"}
    expert = {"Authorization": f"Bearer {_token('expert')}"}
    deep = _deep_cursor(client, desk, 40)
    cases = [
        ("help desk queue, page 1", "/api/v1/tickets/", desk),
        ("help desk queue, page 41 (cursor)", deep, desk),
        ("sort=due", "/api/v1/tickets/?sort=due", desk),
        ("sort=priority", "/api/v1/tickets/?sort=priority", desk),
        ("sort=updated", "/api/v1/tickets/?sort=updated", desk),
        ("status=all&system=ccts", "/api/v1/tickets/?status=all&system=ccts", desk),
        ("mine=true", "/api/v1/tickets/?mine=true", desk),
        ("page_size=100", "/api/v1/tickets/?page_size=100", desk),
        ("local expert, agency queue", "/api/v1/tickets/?queue=agency", expert),
    ]
    print(f"{'case':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'rows':>5}")
    worst = 0.0
    queries = {}
    for label, url, headers in cases:
        response = client.get(url, headers=headers)  # warm-up
        assert response.status_code == 200, (label, response.status_code, response.content[:300])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=headers)
        queries[label] = len(captured.captured_queries)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(url, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
        high = p95(times)
        worst = max(worst, high)
        rows = len(response.json()["results"])
        print(
            f"{label:40} {statistics.median(times):10.1f} {high:8.1f} {queries[label]:8d} {rows:5d}"
        )
    constant = (
        queries["help desk queue, page 1"]
        == queries["help desk queue, page 41 (cursor)"]
        == queries["page_size=100"]
    )
    print(f"queries constant across page size and depth: {'yes' if constant else 'NO'}")
    verdict = "within" if worst <= TARGET_P95_MS else "OVER"
    print(f"worst p95 {worst:.1f} ms: {verdict} the {TARGET_P95_MS} ms target")


if __name__ == "__main__":
    main()
