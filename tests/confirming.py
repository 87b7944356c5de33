"""Going through the confirmation step of an action that cannot be undone
(helpdesk.lib.confirm), as a person does: send the form, read the confirmation page, confirm."""

from typing import Any

from django.test import Client

from helpdesk.lib.confirm import FIELD


def confirmation_page(client: Client, url: str, data: dict[str, Any]) -> Any:
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    assert "helpdesk/confirm.html" in [t.name for t in response.templates]
    return response


def post_confirmed(client: Client, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """The form, then its confirmation with the token the page carries."""
    token = confirmation_page(client, url, data).context["token"]
    return client.post(url, {**data, FIELD: token}, **kwargs)
