"""An SMTP sink for the integration tests, run by aiosmtpd:

    PYTHONPATH=tests/api/helpers python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink FOLDER

Every message the server accepts is decoded (MIME parts, transfer encodings) and written to
FOLDER as one JSON file, `<ns>-<n>.json`, renamed into place once complete, so that a test
reads whole messages only.
"""

import email
import itertools
import json
import os
import time
from email import policy


class Sink:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.count = itertools.count(1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Sink takes one argument: the folder to write messages to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=policy.default)

        def body(kind):
            part = msg.get_body(preferencelist=(kind,))
            return None if part is None else part.get_content()

        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "content_type": msg.get_content_type(),
            "parts": [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else [],
            "text": body("plain"),
            "html": body("html"),
        }
        name = f"{time.time_ns()}-{next(self.count):04d}"
        partial = os.path.join(self.folder, f".{name}.partial")
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(partial, os.path.join(self.folder, f"{name}.json"))
        return "250 Message accepted for delivery"
