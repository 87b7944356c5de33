"""The form types the help desk started with (4052, 4055) and those the state replaced them
with (IL 444-2022 and the two yearly training attestations), which an administrator switches
on when the agency moves to them. Written by the data migration and again after every migrate
(a test database flush removes migration data; this puts it back, never changing an edit)."""

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
FORM_TYPES = [
    (
        "4052",
        "User ID and password request (CCTS, CCMS, InfoView)",
        ["ccts", "ccms", "infoview"],
        SIGNED,
        True,
        None,
        True,
    ),
    (
        "4055",
        "Security and confidentiality agreement",
        ["ccts", "ccms", "infoview"],
        SIGNED,
        False,
        None,
        True,
    ),
    (
        "IL 444-2022",
        "Community Provider/External User I.D. and System Access Request",
        ["ccts", "ccms", "infoview"],
        SIGNED,
        True,
        None,
        False,
    ),
    (
        "HIPAA-TRAINING",
        "HIPAA Privacy training attestation (yearly)",
        ["ccts", "ccms", "infoview"],
        TRAINING,
        False,
        365,
        False,
    ),
    (
        "SECURITY-TRAINING",
        "Computer Security Awareness training attestation (yearly)",
        ["ccts", "ccms", "infoview"],
        TRAINING,
        False,
        365,
        False,
    ),
]


def seed_form_types(FormType, using: str = "default") -> None:  # noqa: N803 - a model class
    for code, title, systems, checklist, role, valid_days, active in FORM_TYPES:
        FormType.objects.using(using).get_or_create(
            code=code,
            defaults={
                "title": title,
                "systems": systems,
                "checklist": checklist,
                "carries_ccms_role": role,
                "valid_days": valid_days,
                "active": active,
            },
        )
