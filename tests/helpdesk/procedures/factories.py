"""Procedures made through the real service, so every one has its first version and audit."""

import factory

from helpdesk.actor import Actor
from helpdesk.models import Procedure, ProcedureAudience
from helpdesk.procedures import services as ps


class ProcedureFactory(factory.django.DjangoModelFactory[Procedure]):
    class Meta:
        model = Procedure

    title = factory.Sequence(lambda n: f"Procedure {n}")
    body = "## Steps\n\n1. Read this.\n2. Do it.\n"
    audience = ProcedureAudience.ALL
    by = factory.LazyFunction(lambda: Actor.system("test setup"))

    class Params:
        ccrr = factory.Trait(audience=ProcedureAudience.NEW_CCRR_STAFF)
        site = factory.Trait(audience=ProcedureAudience.NEW_SITE_STAFF)
        experts = factory.Trait(audience=ProcedureAudience.LOCAL_EXPERTS)

    @classmethod
    def _create(cls, model_class, *, title, body, audience, by, **kwargs):
        return ps.create_procedure(by=by, title=title, body=body, audience=audience)
