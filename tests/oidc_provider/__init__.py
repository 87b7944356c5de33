"""A real OpenID Connect provider for the single sign-on tests: django-oidc-provider (a
maintained provider from PyPI: code flow, PKCE, signed ID tokens) in a tiny Django project of
its own, run as a subprocess on a free loopback port with its own SQLite database
(``fixture.py`` starts and stops it)."""
