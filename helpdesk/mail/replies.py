"""Automatic answers to inbound messages that made no ticket (a report from someone who is not
a local expert), through the one outgoing-mail path. The intake decides whether to answer
(RFC 3834 and the sender's daily limit, ``intake.may_reply_automatically``); this composes it."""

from typing import Any

from helpdesk import emails
from helpdesk.models import InboundMessage


def send_inbound_reply(kind: str, inbound_id: int, **context: Any) -> int:
    """The django-q2 task: answer the inbound message with ``emails/<kind>-*.txt``, threaded
    under it and marked auto-replied; recorded against its sender (``auto_reply_to``). Queued
    once per message and kind, however often the task runs. Returns how many it goes to."""
    inbound = InboundMessage.objects.without_raw().get(pk=inbound_id)
    sent = emails.queue(
        kind,
        to=[inbound.from_address],
        key=f"inbound:{inbound.pk}:{kind}",
        context={"inbound": inbound, **context},
        in_reply_to=inbound.message_id,
        auto_reply_to=inbound.from_address,
    )
    return len(sent.recipients) if sent else 0
