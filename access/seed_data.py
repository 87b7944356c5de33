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
    fulfils_new: str
    fulfils_reset: str
    fulfils_revoke: str
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
        "ccts",
        "CCTS (RACF)",
        "RACF ID",
        id_hint="begins with DHS, e.g. DHSAB12",
        id_pattern="DHS[A-Z0-9]{1,5}",
    ),
    CredentialGroupSeed(
        "ccms",
        "CCMS and InfoView",
        "External Illinois.gov ID",
        id_hint="usually First.Last",
        id_pattern="[A-Za-z][A-Za-z0-9.'-]{1,63}",
    ),
    CredentialGroupSeed("ipacs", "IPACS", "IPACS ID", id_hint="", id_pattern=""),
    CredentialGroupSeed("awvs", "AWVS", "AWVS ID", id_hint="", id_pattern=""),
    CredentialGroupSeed(
        "ccms-uat", "CCMS UAT (test environment)", "UAT ID", id_hint="", id_pattern=""
    ),
    CredentialGroupSeed(
        "ivr", "Provider IVR billing line", "Provider IVR PIN holder", id_hint="", id_pattern=""
    ),
]:
    built_in_credential_groups.register(group)
for system in [
    TargetSystemSeed(
        "ccts",
        "CCTS",
        group="ccts",
        fulfils_new="help_desk",
        fulfils_reset="help_desk",
        fulfils_revoke="help_desk",
        forms_system="ccts",
        reset_route="",
        description=(
            "The mainframe Child Care Tracking System, reached through Web3270 or BlueZone."
        ),
    ),
    TargetSystemSeed(
        "ccms",
        "CCMS",
        group="ccms",
        fulfils_new="cms",
        fulfils_reset="cms",
        fulfils_revoke="cms",
        forms_system="ccms",
        reset_route=CMS_ROUTE,
        description="The Child Care Management System (web).",
    ),
    TargetSystemSeed(
        "infoview",
        "InfoView",
        group="ccms",
        fulfils_new="cms",
        fulfils_reset="cms",
        fulfils_revoke="cms",
        forms_system="infoview",
        reset_route=CMS_ROUTE,
        description="CCMS reports; the same ID and password as CCMS.",
    ),
    TargetSystemSeed(
        "ipacs",
        "IPACS",
        group="ipacs",
        fulfils_new="mis",
        fulfils_reset="mis",
        fulfils_revoke="mis",
        forms_system="",
        reset_route="",
        description="",
    ),
    TargetSystemSeed(
        "awvs",
        "AWVS",
        group="awvs",
        fulfils_new="mis",
        fulfils_reset="mis",
        fulfils_revoke="mis",
        forms_system="",
        reset_route="",
        description="",
    ),
    TargetSystemSeed(
        "ccms-uat",
        "CCMS UAT",
        group="ccms-uat",
        fulfils_new="mis",
        fulfils_reset="mis",
        fulfils_revoke="mis",
        forms_system="ccms",
        reset_route="",
        description="The CCMS test environment.",
    ),
    TargetSystemSeed(
        "ivr",
        "Provider IVR billing line",
        group="ivr",
        fulfils_new="mis",
        fulfils_reset="mis",
        fulfils_revoke="mis",
        forms_system="",
        reset_route="",
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
                "fulfils_new": system.fulfils_new,
                "fulfils_reset": system.fulfils_reset,
                "fulfils_revoke": system.fulfils_revoke,
                "forms_system": system.forms_system,
                "reset_route": system.reset_route,
                "description": system.description,
            },
        )
