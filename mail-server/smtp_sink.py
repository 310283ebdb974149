"""A real SMTP server for the tests (aiosmtpd): listens on 127.0.0.1:PORT and writes each message
it accepts to FOLDER, as NNNNNN.eml (the bytes received) and NNNNNN.json (recipients, subject and
the decoded text and HTML parts, for the tests to read). While FOLDER/refuse exists it refuses
every message with a permanent 550, as a misconfigured relay would.

Usage: python smtp_sink.py PORT FOLDER   (runs until it is terminated)
"""

import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import sys
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder: Path):
        self.folder = folder
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if (self.folder / "refuse").exists():
            return "550 5.7.1 Refused: this test server is refusing mail"
        number = next(self.numbers)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        decoded = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "subject": str(message["subject"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        stem = self.folder / f"{number:06d}"
        stem.with_suffix(".eml").write_bytes(raw)
        # Written last and renamed into place: a reader that sees the .json sees all of it.
        partial = stem.with_suffix(".partial")
        partial.write_text(json.dumps(decoded))
        os.replace(partial, stem.with_suffix(".json"))
        return "250 2.0.0 OK: queued"


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink listening on 127.0.0.1:{port}, writing to {folder}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
