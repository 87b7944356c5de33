"""What the test provider says about its users: names, email, a ``groups`` claim (their Django
groups) and ``amr`` (RFC 8176): ``pwd``, plus ``mfa`` for members of the ``used-mfa`` group."""

from oidc_provider.lib.claims import ScopeClaims

MFA_GROUP = "used-mfa"


def userinfo(claims, user):
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    claims["preferred_username"] = user.username
    claims["email"] = user.email
    claims["email_verified"] = True
    return claims


def sub(user):
    return f"idp-{user.username}"


def authentication_methods(id_token, user, **kwargs):
    used_mfa = user.groups.filter(name=MFA_GROUP).exists()
    id_token["amr"] = ["pwd", "mfa"] if used_mfa else ["pwd"]
    return id_token


class GroupsClaims(ScopeClaims):
    info_groups = ("Groups", "The groups you belong to.")

    def scope_groups(self):
        return {"groups": sorted(self.user.groups.values_list("name", flat=True))}
