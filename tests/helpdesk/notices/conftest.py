import pytest


@pytest.fixture
def capture_on_commit(django_capture_on_commit_callbacks):
    """Shorter name: ``with capture_on_commit(execute=True):`` runs the after-commit work
    (queued emails; the test cluster runs tasks at once)."""
    return django_capture_on_commit_callbacks
