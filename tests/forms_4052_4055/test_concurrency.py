"""Form references stay unique when many forms are issued at once. Real threads, real
connections, on PostgreSQL (.ci/run; a skip there is a failure)."""

import pytest
from django.db import transaction

from forms_4052_4055 import services as fs
from forms_4052_4055.models import SecurityForm
from helpdesk.actor import Actor
from tests.concurrency import POSTGRESQL_ONLY, raise_unexpected, run_at_once
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db(transaction=True), POSTGRESQL_ONLY]


def test_references_are_unique_under_concurrency(world):
    people = [PersonFactory(office=world.office) for _ in range(6)]

    def issue(person):
        with transaction.atomic():
            return fs.issue_forms(person, ["ccms"], by=Actor.of(world.hannah)).issued

    raise_unexpected(run_at_once(*[lambda p=p: issue(p) for p in people]))

    references = list(SecurityForm.objects.values_list("reference", flat=True))
    assert len(references) == 12
    assert len(set(references)) == 12
