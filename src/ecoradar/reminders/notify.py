"""Delivery of an issued reminder beyond the portal: a ``Notifier`` boundary with an SMTP
e-mail adapter, an SMS adapter (an HTTP gateway taking JSON ``{"to", "text"}``) and a fake
that records what it was given (tests). A failed delivery is recorded, never fatal: the
reminder is in the enterprise's portal whatever happens to a message."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    channel: str
    """``email`` or ``sms``."""
    to: str
    subject: str
    text: str
    attachment: bytes | None = None
    attachment_name: str = ""


class Notifier(Protocol):
    def channels(self) -> tuple[str, ...]:
        """The channels this notifier delivers (``email``, ``sms``)."""
        ...

    def send(self, message: Message) -> None:
        """Deliver one message; raise ``OSError`` (or a subclass) when it cannot."""
        ...


@dataclass
class FakeNotifier:
    """Keeps every message; ``fail`` makes a channel fail (for the error path)."""

    sent: list[Message] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)

    def channels(self) -> tuple[str, ...]:
        return ("email", "sms")

    def send(self, message: Message) -> None:
        if message.channel in self.fail:
            raise OSError(f"{message.channel} refused (fake)")
        self.sent.append(message)


@dataclass(frozen=True)
class SmtpNotifier:
    host: str
    port: int = 25
    sender: str = "reminders@example.invalid"
    starttls: bool = False
    timeout: float = 10.0

    def channels(self) -> tuple[str, ...]:
        return ("email",)

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail.set_content(message.text)
        if message.attachment is not None:
            mail.add_attachment(
                message.attachment,
                maintype="application",
                subtype="pdf",
                filename=message.attachment_name,
            )
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            smtp.send_message(mail)


@dataclass(frozen=True)
class SmsNotifier:
    """Posts ``{"to", "text"}`` to an SMS gateway's URL; a 2xx answer means accepted."""

    url: str
    timeout: float = 10.0

    def channels(self) -> tuple[str, ...]:
        return ("sms",)

    def send(self, message: Message) -> None:
        body = json.dumps({"to": message.to, "text": message.text}).encode()
        request = urllib.request.Request(  # noqa: S310 (the configured gateway's URL)
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            if not 200 <= answer.status < 300:
                raise OSError(f"SMS gateway answered {answer.status}")


@dataclass
class Notifiers:
    """Several adapters as one: each message goes to the adapter of its channel."""

    adapters: list[Notifier] = field(default_factory=list)

    def channels(self) -> tuple[str, ...]:
        return tuple(c for a in self.adapters for c in a.channels())

    def send(self, message: Message) -> None:
        for adapter in self.adapters:
            if message.channel in adapter.channels():
                adapter.send(message)
                return


def from_config(notify: dict[str, Any]) -> Notifiers:
    """The adapters the ``[notify]`` section configures (none: the portal only)."""
    adapters: list[Notifier] = []
    if notify.get("smtp_host"):
        adapters.append(
            SmtpNotifier(
                host=str(notify["smtp_host"]),
                port=int(notify.get("smtp_port", 25)),
                sender=str(notify.get("smtp_sender", "reminders@example.invalid")),
                starttls=bool(notify.get("smtp_starttls", False)),
            )
        )
    if notify.get("sms_url"):
        adapters.append(SmsNotifier(url=str(notify["sms_url"])))
    return Notifiers(adapters)
