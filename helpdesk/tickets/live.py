"""Live updates: after a ticket changes and the change commits, tell the pages showing it.

Only a "this ticket changed" signal with its id crosses the websocket; the page then reloads
its fragment over HTTP, where the usual permission checks apply. Groups are per ticket and per
queue; the consumer checks who may join each (helpdesk.tickets.consumers). A change made in
another process (the worker, the mail intake, a sweep, another web process) reaches these
sockets through the channel layer when it is Redis, and through helpdesk.tickets.relay when it
is the in-memory one."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

from helpdesk.actor import Actor
from helpdesk.models import Person, Ticket, User
from helpdesk.tickets import relay


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def user_group(user_id: int) -> str:
    """Every socket of one login, whatever it listens to: closed at once when it is disabled."""
    return f"user.{user_id}"


def close_sockets_of_leaver(user: User | None, person: Person | None, by: Actor) -> None:
    """The directory's leaver hook: after the deactivation commits, every open socket of the
    login closes (each consumer also re-checks the login before each message it sends)."""
    if user is None:
        return
    payload = {"type": "session.ended"}
    transaction.on_commit(lambda: _send([user_group(user.pk)], payload))


def queue_groups(ticket: Ticket) -> list[str]:
    groups = ["queue.help_desk", f"queue.agency.{ticket.office.agency_id}"]
    if ticket.mis_escalated_at is not None:
        groups.append("queue.mis")
    if ticket.reported_by_id:
        groups.append(f"queue.reporter.{ticket.reported_by_id}")
    return groups


def push_ticket_changed_on_commit(ticket: Ticket) -> None:
    groups = [ticket_group(ticket.pk), *queue_groups(ticket)]
    payload = {"type": "ticket.changed", "ticket": ticket.pk, "version": ticket.version}
    transaction.on_commit(lambda: _send(groups, payload))


def push_ticket_changed(ticket: Ticket) -> None:
    """Tell the pages showing ``ticket`` now (call it after the change committed)."""
    push_tickets_changed([ticket])


def push_tickets_changed(tickets: list[Ticket]) -> None:
    """The same for many tickets changed together (a batch transition): one signal each, as
    ``push_ticket_changed`` sends, but one hop to the channel layer and one relay INSERT."""
    _send_many(
        [
            (
                [ticket_group(ticket.pk), *queue_groups(ticket)],
                {"type": "ticket.changed", "ticket": ticket.pk, "version": ticket.version},
            )
            for ticket in tickets
        ]
    )


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    _send_many([(groups, payload)])


def _send_many(signals: list[tuple[list[str], dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None or not signals:
        return
    # One hop into the event loop for all the groups: each async_to_sync call costs more than
    # the in-memory or Redis send it wraps.
    async_to_sync(_send_each)(layer, signals)
    if relay.relaying():  # an in-memory layer: the other processes read it from the table
        relay.write_many(signals)


async def _send_each(
    layer: BaseChannelLayer, signals: list[tuple[list[str], dict[str, Any]]]
) -> None:
    for groups, payload in signals:
        await _send_to_groups(layer, groups, payload)


async def _send_to_groups(
    layer: BaseChannelLayer, groups: list[str], payload: dict[str, Any]
) -> None:
    for group in groups:
        await layer.group_send(group, payload)
