"""Demo data: the sixteen CCR&R regions, their agencies and about twenty Sites, offices, local
experts (some away today), agency users, help desk, MIS and an administrator.

Agency and people names are invented; the cities and the shape of the program are real.
Everything is keyed on stable natural keys and only created when missing, so seeding twice
changes nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot
from helpdesk.directory.roles import Role
from helpdesk.directory.services import designate_local_expert, set_roles
from helpdesk.models import (
    Absence,
    Agency,
    AgencyKind,
    AuditKind,
    DesignationRole,
    LocalExpertDesignation,
    Office,
    Person,
    PersonEmail,
    Region,
    User,
)

SEEDER = "seed_demo"
# The audit trail names the demo data's author "seed_demo".
DEMO = Actor.system("demo data", label=SEEDER)
DEMO_DOMAIN = "demo.ccap-helpdesk.example"

# (region number, region name, CCR&R name, main office city, satellite office city or None)
REGIONS = [
    (1, "Northwest", "Rock River Valley CCR&R", "Rockford", "Freeport"),
    (2, "North Central", "Kishwaukee Child Care Connections", "DeKalb", "Ottawa"),
    (3, "Lake County", "Lakeshore Child Care Resource & Referral", "Waukegan", None),
    (4, "Fox Valley", "Fox Valley Family Resource Network", "Elgin", "Aurora"),
    (5, "Suburban Cook", "Prairie Suburbs Child Care Resources", "Oak Park", "Harvey"),
    (6, "City of Chicago", "Chicago Families Child Care Network", "Chicago", "Chicago South"),
    (7, "Will and Kankakee", "Des Plaines River CCR&R", "Joliet", "Kankakee"),
    (8, "Quad Cities", "Mississippi Valley Child Care Resources", "Moline", None),
    (9, "Peoria", "Illinois River Child Care Connection", "Peoria", "Bloomington"),
    (10, "East Central", "Champaign County Child Care Resource Service", "Urbana", "Danville"),
    (11, "West Central", "Two Rivers Child Care Connection", "Quincy", "Macomb"),
    (12, "Capital", "Sangamon Valley Child Care Resource Center", "Springfield", None),
    (13, "Macon", "Heart of Illinois CCR&R", "Decatur", "Mattoon"),
    (14, "Metro East", "Metro East Child Care Resource & Referral", "Belleville", "Alton"),
    (15, "South Central", "Crossroads Child Care Resources", "Effingham", "Mount Vernon"),
    (16, "Southern", "Shawnee Hills Child Care Resource & Referral", "Carbondale", "Marion"),
]

# (Site name, region number, city)
SITES = [
    ("Bright Start Early Learning Center", 6, "Chicago"),
    ("Englewood Family Child Development", 6, "Chicago"),
    ("Little Village Children's Academy", 6, "Chicago"),
    ("Uptown Neighborhood Child Care", 6, "Chicago"),
    ("Austin Community Head Start Partners", 6, "Chicago"),
    ("Pilsen Early Childhood Collaborative", 6, "Chicago"),
    ("South Shore Kids Learning Place", 6, "Chicago"),
    ("Cicero Family Learning Center", 5, "Cicero"),
    ("Maywood Children's Village", 5, "Maywood"),
    ("Chicago Heights Early Years", 5, "Chicago Heights"),
    ("North Chicago Child Development", 3, "North Chicago"),
    ("Aurora East Early Learning", 4, "Aurora"),
    ("Joliet Little Steps", 7, "Joliet"),
    ("East St. Louis Children's Center", 14, "East St. Louis"),
    ("Rockford Westside Child Care", 1, "Rockford"),
    ("Peoria South Side Learning Place", 9, "Peoria"),
    ("Springfield Eastside Children's Center", 12, "Springfield"),
    ("Champaign Early Childhood Partners", 10, "Champaign"),
    ("Cairo Family Child Care", 16, "Cairo"),
    ("Rock Island Kids Academy", 8, "Rock Island"),
]

FIRST_NAMES = [
    "Maria",
    "James",
    "Linda",
    "Robert",
    "Patricia",
    "Michael",
    "Jennifer",
    "David",
    "Angela",
    "Carlos",
    "Tamika",
    "Brian",
    "Keisha",
    "Daniel",
    "Rosa",
    "Kevin",
    "LaToya",
    "Steven",
    "Guadalupe",
    "Eric",
    "Shanice",
    "Mark",
    "Yolanda",
    "Jason",
    "Monique",
    "Luis",
    "Denise",
    "Andre",
    "Karen",
    "Tyrone",
    "Lisa",
    "Juan",
    "Crystal",
    "Marcus",
    "Nicole",
    "Ahmed",
]
LAST_NAMES = [
    "Johnson",
    "Garcia",
    "Williams",
    "Martinez",
    "Brown",
    "Rodriguez",
    "Davis",
    "Lopez",
    "Wilson",
    "Hernandez",
    "Anderson",
    "Gonzalez",
    "Thomas",
    "Perez",
    "Jackson",
    "Sanchez",
    "Harris",
    "Ramirez",
    "Clark",
    "Torres",
    "Lewis",
    "Flores",
    "Robinson",
    "Rivera",
    "Walker",
    "Nguyen",
    "Young",
    "Kowalski",
    "King",
    "Novak",
    "Wright",
    "Patel",
    "Hill",
    "Okafor",
    "Green",
]

STATE_STAFF = [
    # (username, first, last, role, job title)
    ("hd.supervisor", "Raymond", "Ellis", Role.HELP_DESK, "Help desk supervisor"),
    ("hd.rick", "Richard", "Moreno", Role.HELP_DESK, "Help desk analyst"),
    ("hd.tanya", "Tanya", "Brooks", Role.HELP_DESK, "Help desk analyst"),
    ("hd.sam", "Samuel", "Oyelaran", Role.HELP_DESK, "Help desk analyst"),
    ("mis.joan", "Joan", "Whitaker", Role.MIS, "MIS systems analyst"),
    ("mis.victor", "Victor", "Lindqvist", Role.MIS, "MIS programmer analyst"),
    ("mis.priya", "Priya", "Raman", Role.MIS, "MIS project lead"),
    ("admin", "Grace", "Holloway", Role.ADMINISTRATOR, "Help desk administrator"),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    email: str
    password: str
    office: str

    def as_dict(self) -> dict[str, str]:
        return {
            "role": self.role,
            "username": self.username,
            "email": self.email,
            "password": self.password,
            "office": self.office,
        }


@dataclass
class SeedReport:
    created: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


M = TypeVar("M", bound=models.Model)


class _Seeder:
    def __init__(self, password: str, today: datetime) -> None:
        self.password = password
        # One hash for every demo login: hashing 150 passwords would take a minute.
        self.password_hash = make_password(password)
        self.usernames: set[str] = set()
        self.today = today
        self.created = 0
        self.logins: list[DemoLogin] = []
        self._name_index = 0

    # -- generic -------------------------------------------------------------------------------
    def get_or_create(
        self, model: type[M], defaults: dict[str, Any] | None = None, **lookup: Any
    ) -> M:
        obj, created = model._default_manager.get_or_create(defaults=defaults or {}, **lookup)
        if created:
            self.audit_created(obj, AuditKind.CREATED)
        return obj

    def audit_created(self, obj: models.Model, kind: AuditKind) -> None:
        self.created += 1
        record(kind, actor=DEMO, target=obj, after=snapshot(obj), note="Demo data.")

    def next_name(self) -> tuple[str, str]:
        first = FIRST_NAMES[self._name_index % len(FIRST_NAMES)]
        # 11 is coprime with the list's length, so every last name comes round.
        last = LAST_NAMES[(self._name_index * 11 + 3) % len(LAST_NAMES)]
        self._name_index += 1
        return first, last

    # -- directory -----------------------------------------------------------------------------
    def person_with_login(
        self, office: Office, username: str, first: str, last: str, role: str, title: str
    ) -> Person:
        email = f"{username}@{DEMO_DOMAIN}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name=last, email=email)
            user.password = self.password_hash
            user.save()
            self.audit_created(user, AuditKind.CREATED)
            set_roles(user, [role], by=DEMO, note="Demo login.")
        person = self.get_or_create(
            Person,
            user=user,
            defaults={
                "first_name": first,
                "last_name": last,
                "office": office,
                "job_title": title,
                "phone": self.phone_for(username),
            },
        )
        self.get_or_create(PersonEmail, address=email, defaults={"person": person, "primary": True})
        self.logins.append(DemoLogin(role, username, email, self.password, str(office)))
        return person

    def username(self, first: str, last: str) -> str:
        """first.last, with a number when the name repeats (the plan is the same every run)."""
        base = slugify(f"{first} {last}").replace("-", ".")
        candidate, n = base, 1
        while candidate in self.usernames:
            n += 1
            candidate = f"{base}{n}"
        self.usernames.add(candidate)
        return candidate

    def phone_for(self, key: str) -> str:
        digits = sum(ord(c) for c in key) % 9000 + 1000
        return f"217-555-{digits:04d}"[:12]

    def designate(self, office: Office, person: Person, role: DesignationRole) -> None:
        if LocalExpertDesignation.objects.filter(office=office, role=role).exists():
            return
        designate_local_expert(office, person, role, by=DEMO, note="Demo data.")
        self.created += 1

    def away_today(self, person: Person, days: int, reason: str) -> None:
        if person.absences.covering(timezone.now()).exists():
            return
        start = self.today
        absence = Absence(
            person=person, starts_at=start, ends_at=start + timedelta(days=days), reason=reason
        )
        absence.full_clean()
        absence.save()
        self.audit_created(absence, AuditKind.ABSENCE_RECORDED)


def _office_staff(seeder: _Seeder, office: Office, users: int) -> tuple[Person, Person]:
    people = []
    for role, title in [
        (Role.LOCAL_EXPERT, "Local expert, CCAP supervisor"),
        (Role.LOCAL_EXPERT, "Caseworker, alternate local expert"),
        *[(Role.AGENCY_USER, "CCAP caseworker")] * users,
    ]:
        first, last = seeder.next_name()
        username = seeder.username(first, last)
        people.append(seeder.person_with_login(office, username, first, last, role, title))
    primary, alternate = people[0], people[1]
    seeder.designate(office, primary, DesignationRole.PRIMARY)
    seeder.designate(office, alternate, DesignationRole.ALTERNATE)
    return primary, alternate


def seed_directory(password: str | None = None) -> SeedReport:
    """The regions, agencies, offices, people and logins every other demo seeder builds on."""
    password = password or settings.DEMO_PASSWORD
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    seeder = _Seeder(password, today)
    regions = {
        number: seeder.get_or_create(Region, number=number, defaults={"name": name})
        for number, name, *_ in REGIONS
    }
    office_number = 0
    for number, _name, agency_name, city, satellite in REGIONS:
        agency = seeder.get_or_create(
            Agency,
            code=f"ccrr-{number:02d}",
            defaults={"name": agency_name, "kind": AgencyKind.CCRR, "region": regions[number]},
        )
        for office_city in (c for c in (city, satellite) if c):
            office = seeder.get_or_create(
                Office,
                agency=agency,
                name=f"{office_city} office",
                defaults={
                    "city": office_city.replace(" South", ""),
                    "phone": seeder.phone_for(office_city),
                },
            )
            primary, alternate = _office_staff(seeder, office, users=2)
            office_number += 1
            _maybe_away(seeder, office_number, primary, alternate)
    for site_number, (site_name, region_number, city) in enumerate(SITES, start=1):
        agency = seeder.get_or_create(
            Agency,
            code=f"site-{site_number:02d}",
            defaults={"name": site_name, "kind": AgencyKind.SITE, "region": regions[region_number]},
        )
        office = seeder.get_or_create(
            Office, agency=agency, name="Main site", defaults={"city": city}
        )
        primary, alternate = _office_staff(seeder, office, users=1)
        office_number += 1
        _maybe_away(seeder, office_number, primary, alternate)
    _state_units(seeder)
    return SeedReport(created=seeder.created, logins=seeder.logins)


def _maybe_away(seeder: _Seeder, office_number: int, primary: Person, alternate: Person) -> None:
    """Every fifth office's primary is away today, so its alternate acts; in one office both
    are away, which the help desk's home page flags."""
    if office_number % 5 == 0:
        seeder.away_today(primary, days=3, reason="Vacation")
    if office_number == 12:
        seeder.away_today(primary, days=2, reason="Training")
        seeder.away_today(alternate, days=1, reason="Sick leave")


def _state_units(seeder: _Seeder) -> None:
    help_desk = seeder.get_or_create(
        Agency,
        code="idhs-ccap-help-desk",
        defaults={"name": "IDHS CCAP Help Desk", "kind": AgencyKind.STATE_UNIT},
    )
    mis = seeder.get_or_create(
        Agency,
        code="idhs-mis",
        defaults={"name": "IDHS Management Information Systems", "kind": AgencyKind.STATE_UNIT},
    )
    offices = {
        help_desk.pk: seeder.get_or_create(
            Office, agency=help_desk, name="Springfield", defaults={"city": "Springfield"}
        ),
        mis.pk: seeder.get_or_create(
            Office, agency=mis, name="Springfield", defaults={"city": "Springfield"}
        ),
    }
    for username, first, last, role, title in STATE_STAFF:
        agency = mis if role == Role.MIS else help_desk
        seeder.person_with_login(offices[agency.pk], username, first, last, role, title)
