"""The embedded mail backend: one readable .eml file per message."""

from email import message_from_bytes, policy

from django.core.mail import EmailMessage

from helpdesk.lib.outbox import OutboxEmailBackend


def test_each_message_becomes_one_eml_file(tmp_path):
    backend = OutboxEmailBackend(outbox_dir=tmp_path / "outbox")
    messages = [
        EmailMessage(
            "Acknowledgement [CCAP-2026-000001]", "Body ü", "hd@example.org", ["a@example.org"]
        ),
        EmailMessage("Second", "Body 2", "hd@example.org", ["b@example.org"]),
    ]
    assert backend.send_messages(messages) == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    subjects = {m["Subject"] for m in parsed}
    assert subjects == {"Acknowledgement [CCAP-2026-000001]", "Second"}
    body = next(m for m in parsed if m["To"] == "a@example.org").get_content()
    assert body.strip() == "Body ü"
    assert not list((tmp_path / "outbox").glob("*.part"))
