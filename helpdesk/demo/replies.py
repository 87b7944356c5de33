"""Demo saved replies: a few the help desk and MIS use every day, made through the service,
once (keyed on the title)."""

from escalation.workflow import Action
from helpdesk.actor import Actor
from helpdesk.models import ReplyOwner, SavedReply, User
from helpdesk.tickets import saved_replies

REPLIES = [
    (
        "hd.rick",
        ReplyOwner.HELP_DESK,
        "Which workstation?",
        "Hello {expert_name}, to work on {tracking_number} ({summary}) we need to know which "
        "workstation shows the problem and the exact time it last happened.",
        Action.REQUEST_INFO,
    ),
    (
        "hd.rick",
        ReplyOwner.HELP_DESK,
        "RACF ID reset",
        "Hello {expert_name}, the RACF ID in {tracking_number} is reset. The user signs in to "
        "CCTS with the temporary password the help desk phoned to {office}, and chooses a new "
        "one at once.",
        Action.RESOLVE,
    ),
    (
        "hd.rick",
        ReplyOwner.HELP_DESK,
        "Received, working on it",
        "Hello {expert_name}, we have {tracking_number} and are working on it. We will write "
        "again as soon as we know more.",
        "",
    ),
    (
        "mis.joan",
        ReplyOwner.MIS,
        "Fix deployed",
        "The fix for {tracking_number} ({summary}) is in production since this morning's "
        "release. Please ask {office} to try again.",
        Action.REPORT_MIS_RESOLUTION,
    ),
]


def seed_demo_replies() -> int:
    created = 0
    for username, owner, title, body, action in REPLIES:
        if SavedReply.objects.filter(owner=owner, title=title).exists():
            continue
        by = Actor.of(User.objects.get(username=username))
        saved_replies.create_reply(by=by, title=title, body=body, owner=owner, action=action)
        created += 1
    return created
