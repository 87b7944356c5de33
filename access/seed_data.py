"""The built-in systems CCR&R and Site staff use, who fulfils what on each, and their credentials.
Written by the data migration and again after every migrate (a test database flush removes
migration data; this puts it back, never changing what an administrator edited)."""

from dataclasses import dataclass
from typing import Any

from helpdesk.registry import Registry


@dataclass(frozen=True)
class CredentialGroupSeed:
    code: str
    name: str
    id_label: str
    id_hint: str = ""
    id_pattern: str = ""


@dataclass(frozen=True)
class TargetSystemSeed:
    code: str
    name: str
    group: str  # a CredentialGroupSeed code
    fulfiller: str  # who does new, reset and revoke requests (an administrator may split them)
    forms_system: str = ""
    reset_route: str = ""
    description: str = ""


CMS_ROUTE = (
    "CCMS and InfoView passwords are reset by Central Management Services (CMS), not the help "
    "desk: use the self-service portal (Illinois.gov ID password reset) or call the CMS help "
    "desk. The CCMS and InfoView password is the same one."
)
built_in_credential_groups: Registry[CredentialGroupSeed] = Registry(
    "built-in credential groups", key=lambda g: g.code
)
built_in_systems: Registry[TargetSystemSeed] = Registry("built-in systems", key=lambda s: s.code)
for group in [
    CredentialGroupSeed(
        "ccts", "CCTS (RACF)", "RACF ID", "begins with DHS, e.g. DHSAB12", "DHS[A-Z0-9]{1,5}"
    ),
    CredentialGroupSeed(
        "ccms",
        "CCMS and InfoView",
        "External Illinois.gov ID",
        "usually First.Last",
        "[A-Za-z][A-Za-z0-9.'-]{1,63}",
    ),
    CredentialGroupSeed("ipacs", "IPACS", "IPACS ID"),
    CredentialGroupSeed("awvs", "AWVS", "AWVS ID"),
    CredentialGroupSeed("ccms-uat", "CCMS UAT (test environment)", "UAT ID"),
    CredentialGroupSeed("ivr", "Provider IVR billing line", "Provider IVR PIN holder"),
]:
    built_in_credential_groups.register(group)
CCTS_DESCRIPTION = "The mainframe Child Care Tracking System, reached through Web3270 or BlueZone."
for system in [
    TargetSystemSeed("ccts", "CCTS", "ccts", "help_desk", "ccts", "", CCTS_DESCRIPTION),
    TargetSystemSeed(
        "ccms", "CCMS", "ccms", "cms", "ccms", CMS_ROUTE, "The Child Care Management System (web)."
    ),
    TargetSystemSeed(
        "infoview",
        "InfoView",
        "ccms",
        "cms",
        "infoview",
        CMS_ROUTE,
        "CCMS reports; the same ID and password as CCMS.",
    ),
    TargetSystemSeed("ipacs", "IPACS", "ipacs", "mis"),
    TargetSystemSeed("awvs", "AWVS", "awvs", "mis"),
    TargetSystemSeed(
        "ccms-uat", "CCMS UAT", "ccms-uat", "mis", "ccms", "", "The CCMS test environment."
    ),
    TargetSystemSeed(
        "ivr",
        "Provider IVR billing line",
        "ivr",
        "mis",
        description="The provider telephone billing system.",
    ),
]:
    built_in_systems.register(system)


# The models, or their historical versions in a migration (classes of their own).
def seed_systems(CredentialGroup: Any, TargetSystem: Any, using: str = "default") -> None:  # noqa: N803
    groups: dict[str, Any] = {}
    for seed in built_in_credential_groups:
        groups[seed.code], _ = CredentialGroup.objects.using(using).get_or_create(
            code=seed.code,
            defaults={
                "name": seed.name,
                "id_label": seed.id_label,
                "id_hint": seed.id_hint,
                "id_pattern": seed.id_pattern,
            },
        )
    for system in built_in_systems:
        TargetSystem.objects.using(using).get_or_create(
            code=system.code,
            defaults={
                "name": system.name,
                "credential_group": groups[system.group],
                "fulfils_new": system.fulfiller,
                "fulfils_reset": system.fulfiller,
                "fulfils_revoke": system.fulfiller,
                "forms_system": system.forms_system,
                "reset_route": system.reset_route,
                "description": system.description,
            },
        )
