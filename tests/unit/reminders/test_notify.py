"""The delivery adapters against local stand-ins: an SMTP server that keeps what it is sent,
an SMS gateway that answers 200 or 500; the configuration picks the adapters."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from ecoradar.reminders.notify import (
    FakeNotifier,
    Message,
    SmsNotifier,
    SmtpNotifier,
    from_config,
)


class _Smtp(socketserver.StreamRequestHandler):
    received: list[bytes] = []

    def handle(self) -> None:
        def say(text: str) -> None:
            self.wfile.write((text + "\r\n").encode())

        say("220 localhost ready")
        while line := self.rfile.readline():
            verb = line.decode().strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                say("250 localhost")
            elif verb.startswith(("MAIL", "RCPT")):
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                _Smtp.received.append(data)
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 no")


@pytest.fixture
def smtp_port() -> Iterator[int]:
    _Smtp.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_smtp_adapter_sends_the_reminder_as_mail(smtp_port: int) -> None:
    notifier = SmtpNotifier(host="127.0.0.1", port=smtp_port, sender="bureau@example.org")
    notifier.send(Message("email", "ehs@example.com", "提醒函 ZS-2026-0001", "请登录查看。"))
    [raw] = _Smtp.received
    mail = message_from_bytes(raw, policy=default)
    assert mail["To"] == "ehs@example.com" and mail["From"] == "bureau@example.org"
    assert "ZS-2026-0001" in str(mail["Subject"])
    assert "请登录查看" in mail.get_content()  # type: ignore[attr-defined]


class _Gateway(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        length = int(self.headers["Content-Length"])
        _Gateway.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def gateway() -> Iterator[str]:
    _Gateway.bodies, _Gateway.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


def test_the_sms_adapter_posts_to_the_gateway_and_a_refusal_is_an_error(gateway: str) -> None:
    SmsNotifier(url=gateway).send(Message("sms", "13800000000", "", "请登录查看提醒函"))
    assert _Gateway.bodies == [{"to": "13800000000", "text": "请登录查看提醒函"}]
    _Gateway.status = 500
    with pytest.raises(OSError):
        SmsNotifier(url=gateway).send(Message("sms", "13800000000", "", "x"))


def test_the_configuration_picks_the_adapters_and_a_fake_can_fail() -> None:
    assert from_config({}).channels() == ()
    both = from_config({"smtp_host": "mail.example.org", "sms_url": "http://sms.example.org"})
    assert both.channels() == ("email", "sms")
    fake = FakeNotifier(fail={"sms"})
    fake.send(Message("email", "a@example.com", "s", "t"))
    with pytest.raises(OSError):
        fake.send(Message("sms", "1", "s", "t"))
    assert [m.channel for m in fake.sent] == ["email"]
