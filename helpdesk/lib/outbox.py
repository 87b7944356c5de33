"""The embedded mail backend: each outgoing message becomes one ``.eml`` file in the outbox
folder, which any mail program opens. Production sets EMAIL_HOST and uses SMTP instead."""

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class OutboxEmailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, outbox_dir: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outbox_dir = Path(outbox_dir or settings.EMAIL_OUTBOX_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = self.outbox_dir / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            # Written under a temporary name and renamed, so a reader never sees half a message.
            partial = path.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes(linesep="\n"))
            partial.replace(path)
            sent += 1
        return sent
