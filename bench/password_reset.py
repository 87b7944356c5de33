"""Benchmark: does the password reset page's timing tell whether an address has a login?

Posts the reset form N times for an address that has a login and N times for one that has
none, interleaved, through ``django.test.Client`` (all middleware, the production password
hasher, the ORM task broker: the page queues a task and answers), on a throwaway SQLite
database, and prints the median of each and their difference. The target: medians within
5 ms. ``--django`` also times Django's own PasswordResetView (which looks the address up and
sends the email in the request) for comparison.

    .venv/bin/python bench/password_reset.py [--requests 200] [--django]
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

from _common import load_average  # noqa: E402

KNOWN, UNKNOWN = "known@example.org", "nobody@example.org"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--django", action="store_true", help="also time Django's own view")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ccap-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        CCAP_VAR_DIR=workdir,
        LOG_LEVEL="WARNING",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        # Limits high enough that the bench measures the page, not the 429.
        THROTTLE_RESET_PER_ADDRESS="1000000/h",
        THROTTLE_RESET_PER_EMAIL="1000000/h",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _fill()
    print(f"requests per address: {args.requests}, load average {load_average()}")
    _report("reset page (queues a task)", _time_page("/accounts/password_reset/", args.requests))
    if args.django:
        _report("Django's PasswordResetView", _time_djangos_view(args.requests))


def _fill() -> None:
    from helpdesk.models import User

    User.objects.create_user("known", KNOWN, "a long enough password 2026")


def _time_page(url: str, requests: int) -> dict[str, list[float]]:
    from django.test import Client

    client = Client()
    timings: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for email in [KNOWN, UNKNOWN] * 5:  # warm-up
        client.post(url, {"email": email})
    for _ in range(requests):
        for email in (KNOWN, UNKNOWN):
            started = time.perf_counter()
            response = client.post(url, {"email": email})
            timings[email].append(time.perf_counter() - started)
            assert response.status_code == 302, response.status_code
    return timings


def _time_djangos_view(requests: int) -> dict[str, list[float]]:
    from django.contrib.auth.views import PasswordResetView
    from django.test import override_settings
    from django.urls import path

    import config.urls

    urls = type(
        "urls",
        (),
        {"urlpatterns": [path("r/", PasswordResetView.as_view()), *config.urls.urlpatterns]},
    )
    with override_settings(
        ROOT_URLCONF=urls, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    ):
        return _time_page("/r/", requests)


def _report(name: str, timings: dict[str, list[float]]) -> None:
    known, unknown = (statistics.median(timings[e]) * 1000 for e in (KNOWN, UNKNOWN))
    print(
        f"  {name:<28} known median {known:6.2f} ms, unknown median {unknown:6.2f} ms, "
        f"difference {abs(known - unknown):5.2f} ms"
    )


if __name__ == "__main__":
    main()
