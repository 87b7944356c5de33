"""The demo procedures: one per audience, one edited, some acknowledgements; seeding the demo
(even when its transaction commits) emails no packet, and seeding again changes nothing."""

import pytest

from helpdesk.demo.seed import seed_demo
from helpdesk.models import OutboundEmail, Procedure, ProcedureAcknowledgement, ProcedureAudience
from helpdesk.procedures import onboarding

pytestmark = pytest.mark.django_db


def test_the_demo_has_procedures_for_every_audience_and_sends_no_packet(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()
    procedures = Procedure.objects.select_related("current_version")
    assert 4 <= procedures.count() <= 6
    assert {p.audience for p in procedures} == set(ProcedureAudience.values)
    assert sorted(p.current_version.number for p in procedures)[-1] == 2
    rows = ProcedureAcknowledgement.objects.all()
    assert rows.exclude(acknowledged_at=None).exists()
    assert rows.filter(acknowledged_at=None).exists()
    packets = OutboundEmail.objects.filter(kind__in=[onboarding.WELCOME, onboarding.RESENT])
    assert not packets.exists()
    assert not [m for m in mailoutbox if "procedure" in m.subject.lower()]
    before = (Procedure.objects.count(), rows.count())
    seed_demo()
    assert (Procedure.objects.count(), ProcedureAcknowledgement.objects.count()) == before
