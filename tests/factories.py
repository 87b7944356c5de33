"""factory-boy factories for the directory, with traits for the usual states."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from helpdesk.models import (
    Absence,
    Agency,
    AgencyKind,
    DesignationRole,
    LocalExpertDesignation,
    Office,
    Person,
    PersonEmail,
    Region,
    User,
)

TEST_PASSWORD = "correct horse battery staple"


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ["number"]

    number = factory.Sequence(lambda n: n % 16 + 1)
    name = factory.LazyAttribute(lambda r: f"Service delivery area {r.number}")


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Test CCR&R {n}")
    code = factory.Sequence(lambda n: f"agency-{n}")
    kind = AgencyKind.CCRR
    region = factory.SubFactory(RegionFactory)

    class Params:
        site = factory.Trait(kind=AgencyKind.SITE, name=factory.Sequence(lambda n: f"Site {n}"))
        state_unit = factory.Trait(kind=AgencyKind.STATE_UNIT, region=None)


class OfficeFactory(factory.django.DjangoModelFactory[Office]):
    class Meta:
        model = Office

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Office {n}")
    city = "Springfield"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    office = factory.SubFactory(OfficeFactory)
    job_title = "Caseworker"
    phone = "217-555-0100"

    class Params:
        left = factory.Trait(active=False, left_on=factory.LazyFunction(timezone.localdate))

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        if create:
            address = extracted or f"{self.first_name}.{self.last_name}.{self.pk}@example.org"
            PersonEmail.objects.create(person=self, address=address.lower(), primary=True)


class DesignationFactory(factory.django.DjangoModelFactory[LocalExpertDesignation]):
    class Meta:
        model = LocalExpertDesignation

    office = factory.SubFactory(OfficeFactory)
    person = factory.SubFactory(PersonFactory, office=factory.SelfAttribute("..office"))
    role = DesignationRole.PRIMARY


class AbsenceFactory(factory.django.DjangoModelFactory[Absence]):
    class Meta:
        model = Absence

    person = factory.SubFactory(PersonFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    reason = "Vacation"
