"""The built-in form types: those the help desk started with (4052, 4055) and those the state
replaced them with (IL 444-2022 and the two yearly training attestations), which an
administrator switches on when the agency moves to them. Written by the data migration and
again after every migrate (a test database flush removes migration data; this puts it back,
never changing an edit)."""

from dataclasses import dataclass
from typing import Any

from helpdesk.registry import Registry

SIGNED = [
    "Signed by the user",
    "Signed by the agency's authorising official",
    "Signature dates filled in",
    "Every required field completed",
]
TRAINING = [
    "Signed by the user",
    "Training completion date filled in",
    "Training completed within the last year",
]


# The systems every built-in form covers.
CCTS_CCMS_INFOVIEW = ("ccts", "ccms", "infoview")


@dataclass(frozen=True)
class BuiltInFormType:
    code: str
    title: str
    checklist: list[str]
    systems: tuple[str, ...] = CCTS_CCMS_INFOVIEW
    carries_ccms_role: bool = False
    valid_days: int | None = None  # None: valid until superseded
    active: bool = True  # the newer forms wait for an administrator to switch them on


built_in_form_types: Registry[BuiltInFormType] = Registry(
    "built-in form types", key=lambda t: t.code
)
for form_type in [
    BuiltInFormType(
        "4052",
        "User ID and password request (CCTS, CCMS, InfoView)",
        SIGNED,
        carries_ccms_role=True,
    ),
    BuiltInFormType("4055", "Security and confidentiality agreement", SIGNED),
    BuiltInFormType(
        "IL 444-2022",
        "Community Provider/External User I.D. and System Access Request",
        SIGNED,
        carries_ccms_role=True,
        active=False,
    ),
    BuiltInFormType(
        "HIPAA-TRAINING",
        "HIPAA Privacy training attestation (yearly)",
        TRAINING,
        valid_days=365,
        active=False,
    ),
    BuiltInFormType(
        "SECURITY-TRAINING",
        "Computer Security Awareness training attestation (yearly)",
        TRAINING,
        valid_days=365,
        active=False,
    ),
]:
    built_in_form_types.register(form_type)


# ``FormType``: the model, or its historical version in a migration (a class of its own).
def seed_form_types(FormType: Any, using: str = "default") -> None:  # noqa: N803 - a model class
    for seed in built_in_form_types:
        FormType.objects.using(using).get_or_create(
            code=seed.code,
            defaults={
                "title": seed.title,
                "systems": list(seed.systems),
                "checklist": seed.checklist,
                "carries_ccms_role": seed.carries_ccms_role,
                "valid_days": seed.valid_days,
                "active": seed.active,
            },
        )
