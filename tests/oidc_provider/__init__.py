"""A real OpenID Connect provider for the single sign-on tests: django-oidc-provider (an
OpenID-certified implementation) in a tiny Django project of its own, run as a subprocess on
a free loopback port with its own SQLite database (``fixture.py`` starts and stops it)."""
