"""The systems CCR&R and Site staff use, who fulfils what on each, and their credentials.
Written by the data migration and again after every migrate (a test database flush removes
migration data; this puts it back, never changing what an administrator edited)."""

GROUPS = [
    ("ccts", "CCTS (RACF)", "RACF ID", "begins with DHS, e.g. DHSAB12", r"DHS[A-Z0-9]{1,5}"),
    (
        "ccms",
        "CCMS and InfoView",
        "External Illinois.gov ID",
        "usually First.Last",
        r"[A-Za-z][A-Za-z0-9.'-]{1,63}",
    ),
    ("ipacs", "IPACS", "IPACS ID", "", ""),
    ("awvs", "AWVS", "AWVS ID", "", ""),
    ("ccms-uat", "CCMS UAT (test environment)", "UAT ID", "", ""),
    ("ivr", "Provider IVR billing line", "Provider IVR PIN holder", "", ""),
]
CMS_ROUTE = (
    "CCMS and InfoView passwords are reset by Central Management Services (CMS), not the help "
    "desk: use the self-service portal (Illinois.gov ID password reset) or call the CMS help "
    "desk. The CCMS and InfoView password is the same one."
)
SYSTEMS = [
    # code, name, group, new, reset, revoke, forms system, reset route, description
    (
        "ccts",
        "CCTS",
        "ccts",
        "help_desk",
        "help_desk",
        "help_desk",
        "ccts",
        "",
        "The mainframe Child Care Tracking System, reached through Web3270 or BlueZone.",
    ),
    (
        "ccms",
        "CCMS",
        "ccms",
        "cms",
        "cms",
        "cms",
        "ccms",
        CMS_ROUTE,
        "The Child Care Management System (web).",
    ),
    (
        "infoview",
        "InfoView",
        "ccms",
        "cms",
        "cms",
        "cms",
        "infoview",
        CMS_ROUTE,
        "CCMS reports; the same ID and password as CCMS.",
    ),
    ("ipacs", "IPACS", "ipacs", "mis", "mis", "mis", "", "", ""),
    ("awvs", "AWVS", "awvs", "mis", "mis", "mis", "", "", ""),
    (
        "ccms-uat",
        "CCMS UAT",
        "ccms-uat",
        "mis",
        "mis",
        "mis",
        "ccms",
        "",
        "The CCMS test environment.",
    ),
    (
        "ivr",
        "Provider IVR billing line",
        "ivr",
        "mis",
        "mis",
        "mis",
        "",
        "",
        "The provider telephone billing system.",
    ),
]


def seed_systems(CredentialGroup, TargetSystem, using: str = "default") -> None:  # noqa: N803
    groups = {}
    for code, name, id_label, hint, pattern in GROUPS:
        groups[code], _ = CredentialGroup.objects.using(using).get_or_create(
            code=code,
            defaults={"name": name, "id_label": id_label, "id_hint": hint, "id_pattern": pattern},
        )
    for code, name, group, new, reset, revoke, forms, route, description in SYSTEMS:
        TargetSystem.objects.using(using).get_or_create(
            code=code,
            defaults={
                "name": name,
                "credential_group": groups[group],
                "fulfils_new": new,
                "fulfils_reset": reset,
                "fulfils_revoke": revoke,
                "forms_system": forms,
                "reset_route": route,
                "description": description,
            },
        )
