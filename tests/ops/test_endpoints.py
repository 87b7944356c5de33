"""Issue 20, item 5: /readyz, /metrics (for allowed addresses only), the heartbeats they read,
JSON logs and no secret in a log line."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from config.logs import redacted
from helpdesk.lib import heartbeats
from helpdesk.lib.schedules import worker_schedules
from helpdesk.mail import mailbox
from helpdesk.models import Heartbeat, OutboundEmail, OutboundStatus, Ticket
from helpdesk.ops import readiness
from tests.helpdesk import ticket_helpers as th
from tests.outgoing_mail import queue

pytestmark = pytest.mark.django_db
SECRET = "hunter2-very-secret"


def test_readyz_answers_each_check(client):
    heartbeats.beat_worker()
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"]["ok"]
    assert checks["broker"]["ok"]
    assert checks["worker"]["ok"] is True
    assert checks["worker"]["age_seconds"] <= 5
    # Never polled yet: reported, not ready-failing.
    assert checks["mail_poll"] == {"ok": False, "age_seconds": None, "limit_seconds": 300}
    assert "no-store" in response.headers["Cache-Control"]


def test_a_stale_heartbeat_is_reported_stale(client):
    heartbeats.beat_worker()
    Heartbeat.objects.update(at=timezone.now() - timedelta(minutes=10))
    checks = client.get(reverse("readyz")).json()["checks"]
    assert checks["worker"]["ok"] is False
    assert checks["worker"]["age_seconds"] >= 600


class _Down:
    def cursor(self):
        raise OperationalError(f"could not connect: password={SECRET}")


class _BrokerDown:
    def ping(self):
        raise ConnectionError(f"redis://:{SECRET}@redis:6379 refused")

    def queue_size(self):
        return 0


def test_readyz_is_503_when_the_database_fails_and_names_no_secret(client, monkeypatch):
    monkeypatch.setattr(readiness, "connection", _Down())
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert SECRET not in response.content.decode()


def test_readyz_is_503_when_the_broker_fails(client, monkeypatch):
    monkeypatch.setattr(readiness, "get_broker", lambda: _BrokerDown())
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert SECRET not in response.content.decode()


def test_the_worker_beats_from_its_schedule_and_the_mail_poll_after_a_good_pass(
    tmp_path, settings, monkeypatch
):
    assert "helpdesk.lib.heartbeats.beat_worker" in {s.func for s in worker_schedules}
    settings.MAIL_DROP_DIR = tmp_path
    mailbox.poll()
    first = Heartbeat.objects.get(name=heartbeats.MAIL_POLL).at
    Heartbeat.objects.update(at=first - timedelta(hours=1))

    def failing():
        report = mailbox.PassReport()
        report.errors.append("a file could not be stored")
        return report

    monkeypatch.setattr(mailbox, "poll_drop_folder", failing)
    mailbox.poll()  # a pass with an error: no heartbeat
    assert Heartbeat.objects.get(name=heartbeats.MAIL_POLL).at == first - timedelta(hours=1)


def _metrics(client, **extra):
    return client.get(reverse("metrics"), **extra)


def _samples(response) -> dict[str, float]:
    lines = response.content.decode().splitlines()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith("ccap_")
    }


def test_metrics_count_intake_outbound_failures_breaches_and_queues(
    client, world, django_assert_max_num_queries
):
    ticket = th.submitted(world)
    Ticket.objects.filter(pk=ticket.pk).update(response_breached_at=timezone.now())
    failed = queue(key="test:failed")
    OutboundEmail.objects.filter(pk=failed.pk).update(status=OutboundStatus.FAILED, attempts=5)
    heartbeats.beat_worker()
    with django_assert_max_num_queries(10):
        response = _metrics(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _samples(response)
    assert samples['ccap_outbound_emails{status="failed"}'] == 1
    assert samples['ccap_sla_breaches_total{target="response"}'] == 1
    assert samples["ccap_tickets_breached_open"] == 1
    assert samples['ccap_tickets_open{tier="3"}'] == 1
    assert samples['ccap_heartbeat_age_seconds{name="worker"}'] < 60
    assert "ccap_task_queue_length" in samples
    # django-prometheus's own request metrics are there too.
    assert "django_http_requests_total_by_method_total" in response.content.decode()


def test_metrics_count_inbound_outcomes(client, ingest):
    raw = (Path(settings.BASE_DIR) / "docs/mail-examples/3-out-of-office.eml").read_bytes()
    ingest(raw)
    samples = _samples(_metrics(client))
    assert samples['ccap_inbound_messages_total{outcome="auto_reply_ignored"}'] == 1
    assert samples['ccap_inbound_messages_by_status{status="processed"}'] == 1


def test_metrics_refuse_other_addresses(client):
    assert _metrics(client, REMOTE_ADDR="10.0.0.5").status_code == 403


def test_metrics_follow_the_allowed_networks_and_the_proxy_count(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert _metrics(client, REMOTE_ADDR="10.0.0.5").status_code == 200
    assert _metrics(client).status_code == 403  # 127.0.0.1 is no longer allowed
    settings.PROXY_COUNT = 1
    # Behind one proxy, the client is what the proxy saw; a forged left-most entry is ignored.
    forwarded = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.1.1.1, 203.0.113.9"}
    assert _metrics(client, **forwarded).status_code == 403
    forwarded["HTTP_X_FORWARDED_FOR"] = "203.0.113.9, 10.1.1.1"
    assert _metrics(client, **forwarded).status_code == 200


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("db postgres://ccap:s3cret@db:5432/ccap down", "db postgres://ccap:***@db:5432/ccap down"),
        ("redis://:s3cret@redis:6379/0", "redis://:***@redis:6379/0"),
        ("bind failed password=s3cret user=x", "bind failed password=*** user=x"),
        ('{"client_secret": "s3cret"}', '{"client_secret": "***"}'),
        ("a ticket CCAP-2026-000042 assigned", "a ticket CCAP-2026-000042 assigned"),
    ],
)
def test_secrets_are_masked_in_log_lines(line, clean):
    assert redacted(line) == clean


def test_json_logs_are_one_object_a_line_without_secrets():
    code = (
        "import django, logging; django.setup(); "
        "log = logging.getLogger('helpdesk.test'); "
        "log.warning('connecting to %s', 'postgres://ccap:" + SECRET + "@db/ccap', "
        "extra={'ticket': 42})\n"
        "try:\n    raise RuntimeError('password=" + SECRET + "')\n"
        "except RuntimeError:\n    log.exception('failed')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CCAP_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_FORMAT": "json",
            "CCAP_VAR_DIR": "/tmp/ccap-log-probe",
            "DEBUG": "false",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [e["message"] for e in entries] == [
        "connecting to postgres://ccap:***@db/ccap",
        "failed",
    ]
    assert entries[0]["level"] == "WARNING"
    assert entries[0]["logger"] == "helpdesk.test"
    assert entries[0]["ticket"] == 42
    assert "RuntimeError" in entries[1]["exception"]
    assert SECRET not in result.stderr
