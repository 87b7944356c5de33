"""The httpx example client of docs/api.md, run as written against the app (httpx's WSGI
transport instead of the network): it reports a problem, answers the help desk's question and
follows the ticket to resolved, while the help desk works it between its polls."""

import re
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from helpdesk.actor import Actor
from helpdesk.models import Ticket
from helpdesk.tickets import services as svc
from tests.helpdesk.api.conftest import make_token

pytestmark = pytest.mark.django_db


def _example() -> str:
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    [client] = [b for b in blocks if "import httpx" in b]
    return client


def test_the_docs_example_client_reports_and_follows_to_resolved(
    world, monkeypatch, capsys, wsgi_app
):
    _token, secret = make_token(world.pat.user)
    app = wsgi_app
    real_client = httpx.Client

    def local_client(*args, **kwargs):
        return real_client(*args, transport=httpx.WSGITransport(app=app), **kwargs)

    hannah = Actor.of(world.hannah)
    polls = []

    def help_desk_works_it(_seconds: float) -> None:
        """Between polls: the desk takes it and asks, then (answered) resolves it."""
        ticket = Ticket.objects.get()
        polls.append(ticket.state)
        if ticket.state == "submitted":
            ticket = svc.assign(ticket, by=hannah, assignee=world.hannah)
            svc.request_info(ticket, by=hannah, question="Does it happen on every case?")
        elif ticket.state == "in_progress":
            svc.resolve(ticket, by=hannah, resolution="A CCMS fix was deployed.")

    monkeypatch.setattr(httpx, "Client", local_client)
    monkeypatch.setattr("time.sleep", help_desk_works_it)
    code = _example()
    code = code.replace("https://helpdesk.example.org/api/v1", "http://testserver/api/v1")
    code = code.replace('"ccap_..."', repr(secret))
    exec(compile(code, "docs/api.md", "exec"), {"__name__": "example"})  # noqa: S102

    ticket = Ticket.objects.get()
    assert ticket.state == "resolved"
    assert polls == ["submitted", "in_progress"]
    answer = ticket.messages.get(author=world.pat.user)
    assert answer.body == "It happens on every case, on every PC."
    out = capsys.readouterr().out
    assert f"Filed as {ticket.tracking_number}" in out
    assert "Hannah Helpdesk: Does it happen on every case?" in out
    assert out.strip().endswith(f"{ticket.tracking_number} resolved A CCMS fix was deployed.")
