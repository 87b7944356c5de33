"""Benchmark: the header search (helpdesk.search) over 100,000 tickets and 500,000 messages.

Builds a throwaway PostgreSQL database (``ccap_bench_search``, created and dropped here; or a
temporary SQLite file), fills it with tickets over 50 agencies whose summaries, descriptions
and messages are drawn from a help desk vocabulary (the domain's words often, a long tail of
rarer ones, Zipf-like), builds the full-text indexes after the load (as ``migrate`` would on a
filled table), ANALYZEs, then times ``helpdesk.search.selectors.search`` (every kind: tickets,
people, offices, procedures, notices) for a mix of queries, as help desk staff (every ticket)
and as a local expert (one agency's). Prints median and p95 per query kind and over the mix.

    .venv/bin/python bench/search.py --db postgres|sqlite [--tickets 100000] [--messages 500000]
        [--repeat 20]
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

PG_DATABASE = "ccap_bench_search"
TARGET_P95_MS = 100
BATCH = 10_000

_DOMAIN_TEXT = (
    "ccts ccms infoview ivr bluezone web3270 racf password reset locked revoked expired screen "
    "freeze freezes frozen error timeout slow login sign signing case provider payment billing "
    "redetermination copay co-pay eligibility report reports totals month certificate approval "
    "parent child family income voucher printer print page blank crash save saving submit "
    "office caseworker supervisor access form 4052 4055 security group id user account new "
    "delete modify terminal session mainframe network outage vpn browser chrome edge cache "
    "file upload attachment email notice batch nightly job missing wrong duplicate invoice "
    "authorization rate rates county region site agency ccr&r application pending denied"
)
DOMAIN = _DOMAIN_TEXT.split()


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    syllables = "ka lo mi ne ru sa ti vo ba de fi gu ha jo ke li ma no pe qu ra se to ve wi ya zo"
    parts = syllables.split()
    tail = {"".join(rng.choice(parts) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return DOMAIN + sorted(tail)


class Words:
    """Words drawn Zipf-like: the domain's words are the head, invented ones the tail."""

    def __init__(self, rng: random.Random, vocabulary: list[str]) -> None:
        self.rng = rng
        self.vocabulary = vocabulary
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))]
        total = sum(weights)
        self.cumulative = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)

    def text(self, n: int) -> str:
        return " ".join(self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each query")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default=PG_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--reuse", action="store_true", help="time again on a database a --keep run filled"
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ccap-bench-search-")
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

    from helpdesk.tickets import fulltext as schema

    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; tickets: {args.tickets:,}; "
        f"messages: {args.messages:,}; runs per query: {args.repeat}"
    )
    print(f"load average at start: {load_average()}")
    started = time.perf_counter()
    if args.reuse:
        world = _world(args.tickets)
    else:
        schema.drop(connection)  # a bulk load, then the indexes, as on a filled table
        world = _fill(args.tickets, args.messages)
    filled = time.perf_counter()
    schema.ensure(connection)  # on a reused database: what is missing only
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"filled in {filled - started:.1f} s, indexes built in {time.perf_counter() - filled:.1f} s"
    )
    _measure(world, args.repeat)
    print(f"load average at end: {load_average()}")


def _fill(count: int, message_count: int) -> dict:
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
        TicketMessage,
        TrackingSequence,
        User,
    )

    rng = random.Random(2026)
    words = Words(rng, _vocabulary(rng, 20_000))
    now = timezone.now()
    states = ["submitted", "in_progress", "escalated_to_mis", "resolved", "closed"]
    with transaction.atomic():
        region = Region.objects.create(number=1, name="Bench")
        agencies = Agency.objects.bulk_create(
            Agency(
                name=f"Bench CCR&R {i:02d}",
                code=f"bench-{i:02d}",
                kind=AgencyKind.CCRR,
                region=region,
            )
            for i in range(50)
        )
        offices = Office.objects.bulk_create(
            Office(agency=a, name="Main office", city=f"Town {i}") for i, a in enumerate(agencies)
        )
        expert_user = User.objects.create(username="expert", is_active=True)
        Group.objects.get(name=Role.LOCAL_EXPERT).user_set.add(expert_user)
        desk = User.objects.create(username="desk", first_name="Desk", is_active=True)
        Group.objects.get(name=Role.HELP_DESK).user_set.add(desk)
        people = Person.objects.bulk_create(
            Person(
                first_name=rng.choice(["Pat", "Alex", "Sam", "Lee", "Kim", "Jo"]),
                last_name=words.text(1).title(),
                office=offices[i % 50],
            )
            for i in range(500)
        )
        expert = people[0]
        expert.user = expert_user
        expert.save()
        LocalExpertDesignation.objects.create(
            office=expert.office, person=expert, role=DesignationRole.PRIMARY
        )
        created = sorted(now - timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(count))
        systems = list(System.values)
        for start in range(0, count, BATCH):
            Ticket.objects.bulk_create(
                [
                    Ticket(
                        state=rng.choice(states),
                        tracking_number=f"CCAP-2026-{i + 1:06d}",
                        office=rng.choice(offices),
                        summary=words.text(rng.randint(4, 9))[:200],
                        system=rng.choice(systems),
                        description=words.text(rng.randint(20, 80)),
                        mis_reference=f"INC{100000 + i}" if i % 7 == 0 else "",
                        created_at=created[i],
                        state_changed_at=created[i],
                    )
                    for i in range(start, min(start + BATCH, count))
                ],
                batch_size=BATCH,
            )
        TrackingSequence.objects.create(year=2026, last_value=count)
        first, last = Ticket.objects.order_by("pk").values_list("pk", flat=True)[:1][0], None
        last = first + count - 1
        for start in range(0, message_count, BATCH):
            TicketMessage.objects.bulk_create(
                [
                    TicketMessage(
                        ticket_id=rng.randint(first, last),
                        author_label="Bench",
                        body=words.text(rng.randint(10, 60)),
                        internal=rng.random() < 0.2,
                    )
                    for _ in range(start, min(start + BATCH, message_count))
                ],
                batch_size=BATCH,
            )
    return {
        "desk": desk,
        "expert": expert_user,
        "words": words,
        "rng": rng,
        "count": count,
        "people": people,
        "first": first,
    }


def _world(count: int) -> dict:
    """What ``_fill`` returns, read back from a filled database (the same seeded draws)."""
    from helpdesk.models import Person, User

    rng = random.Random(2026)
    words = Words(rng, _vocabulary(rng, 20_000))
    return {
        "desk": User.objects.get(username="desk"),
        "expert": User.objects.get(username="expert"),
        "words": words,
        "count": count,
        "people": list(Person.objects.order_by("pk")),
    }


def _queries(world: dict) -> list[tuple[str, str]]:
    rng = random.Random(7)
    words = world["words"]
    tail = words.vocabulary[len(DOMAIN) :]
    n = world["count"]
    queries = []
    for word in ["password", "ccms", "screen", "provider", "timeout", "billing"]:
        queries.append(("one common word", word))
    for pair in ["ccms freeze", "racf reset", "payment error", "printer blank", "ccts locked"]:
        queries.append(("two words", pair))
    for _ in range(6):
        queries.append(("one rare word", rng.choice(tail)))
    for _ in range(4):
        queries.append(("three words", words.text(3)))
    for _ in range(4):
        queries.append(("tracking number", f"CCAP-2026-{rng.randint(1, n):06d}"))
    for _ in range(3):
        queries.append(("id or sequence", str(rng.randint(1, n))))
    for _ in range(3):
        queries.append(("MIS number", f"INC{100000 + 7 * rng.randint(0, n // 7 - 1)}"))
    for person in rng.sample(world["people"], 3):
        queries.append(("a name", f"{person.first_name} {person.last_name}"))
    return queries


def _measure(world: dict, repeat: int) -> None:
    from django.db import reset_queries

    from helpdesk.models import User
    from helpdesk.search.selectors import search

    queries = _queries(world)
    for role, user in (("help desk", world["desk"]), ("local expert", world["expert"])):
        user = User.objects.get(pk=user.pk)  # roles cached on the instance, as in a request
        by_kind: dict[str, list[float]] = {}
        every: list[float] = []
        found = 0
        for kind, text in queries:
            results = search(user, text)  # warm-up
            found += bool(results.tickets)
            for _ in range(repeat):
                started = time.perf_counter()
                search(user, text)
                elapsed = (time.perf_counter() - started) * 1000
                by_kind.setdefault(kind, []).append(elapsed)
                every.append(elapsed)
                reset_queries()
        print()
        print(f"as {role}: {len(queries)} queries, {found} with ticket results")
        print(f"{'query kind':<18} {'median':>9} {'p95':>9}")
        for kind, times in by_kind.items():
            print(f"{kind:<18} {statistics.median(times):7.1f}ms {p95(times):7.1f}ms")
        verdict = "ok" if p95(every) < TARGET_P95_MS else "MISSED"
        print(
            f"{'the mix':<18} {statistics.median(every):7.1f}ms {p95(every):7.1f}ms  "
            f"target p95 < {TARGET_P95_MS} ms: {verdict}"
        )


if __name__ == "__main__":
    main()
