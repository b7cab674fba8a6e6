"""Transports: SMTP (STARTTLS or implicit TLS, certificates verified) or `.eml` files.

Python's smtplib verifies nothing unless it is given an SSL context, so every TLS
connection here uses `ssl.create_default_context()` (hostname and chain checked),
optionally with `ca_file` as the trust store. A server that does not offer STARTTLS is
refused unless `allow_insecure = true`. The password is read with `Secret.reveal()` at
login only and never logged; smtplib's debug output (which prints AUTH) stays off.

Errors become `TransientDeliveryError` (try again later) or `PermanentDeliveryError`;
`MessageRefused` means the server refused this message itself, so retrying it is useless.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from monitor.config import SmtpConfig
from monitor.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)


class MessageRefused(PermanentDeliveryError):
    """The server refused this message (5xx to its recipients or data): do not retry it."""


class Transport(Protocol):
    description: str

    def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str], name: str) -> None:
        """Deliver, or raise a DeliveryError. `name` is a short, safe label for files and logs."""


class FileTransport:
    """No SMTP configured: each email becomes `<outbox_dir>/<name>.eml` (rewritten if re-sent)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = f"outbox {folder}"

    def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str], name: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:150] or "message"
        tmp: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(message))
            os.replace(tmp, self.folder / f"{safe}.eml")
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise TransientDeliveryError(f"cannot write to the outbox {self.folder}: {exc.strerror}") from exc


class SmtpTransport:
    def __init__(self, settings: SmtpConfig) -> None:
        self.settings = settings
        self.description = f"smtp {settings.host}:{settings.port} ({settings.security})"

    def context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.settings.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise PermanentDeliveryError(
                f"smtp.ca_file {self.settings.ca_file}: cannot be loaded: {exc}"
            ) from exc

    def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str], name: str) -> None:
        if not recipients:
            raise PermanentDeliveryError("no recipients configured (alerts.recipients is empty)")
        try:
            with self._connect() as client:
                refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
        except DeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refusal("every recipient was refused", exc.recipients) from exc
        except smtplib.SMTPSenderRefused as exc:
            kind = PermanentDeliveryError if exc.smtp_code >= 500 else TransientDeliveryError
            raise kind(f"sender {exc.sender} refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:  # DATA refused, or the server gave up
            if exc.smtp_code >= 500 and isinstance(exc, smtplib.SMTPDataError):
                raise MessageRefused(f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise TransientDeliveryError(f"SMTP error {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentDeliveryError(
                f"TLS certificate of {self.settings.host} not trusted ({exc.verify_message}); "
                "fix the server's certificate or set smtp.ca_file to the CA that signed it"
            ) from exc
        except (ssl.SSLError, smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(
                f"cannot reach {self.settings.host}:{self.settings.port}: {exc.__class__.__name__}: {exc}"
            ) from exc
        if refused:
            log.warning("%s: %d recipient(s) refused: %s", name, len(refused), ", ".join(sorted(refused)))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[smtplib.SMTP]:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "tls":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=self.context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        try:
            client.ehlo()
            encrypted = s.security == "tls"
            if s.security == "starttls":
                if client.has_extn("starttls"):
                    client.starttls(context=self.context())
                    client.ehlo()
                    encrypted = True
                elif not s.allow_insecure:
                    raise PermanentDeliveryError(
                        f"{s.host}:{s.port} does not offer STARTTLS, so mail would be sent unencrypted; "
                        "use a server that does, or set smtp.allow_insecure = true for a trusted local relay"
                    )
                else:
                    log.warning(
                        "%s:%d offers no STARTTLS: sending unencrypted (allow_insecure)", s.host, s.port
                    )
            if s.username:
                if not encrypted and not s.allow_insecure:
                    raise PermanentDeliveryError(
                        "refusing to send the SMTP password over an unencrypted connection"
                    )
                try:
                    client.login(s.username, s.password.reveal() if s.password else "")
                except smtplib.SMTPAuthenticationError as exc:
                    raise PermanentDeliveryError(
                        f"SMTP login as {s.username} refused ({exc.smtp_code}); check smtp.username and smtp.password"
                    ) from None  # the server's reply may echo credentials: not chained
                except smtplib.SMTPNotSupportedError:
                    raise PermanentDeliveryError(
                        f"{s.host} does not accept logins (AUTH not offered)"
                    ) from None
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.quit()
            with contextlib.suppress(Exception):
                client.close()


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:300]


def _refusal(what: str, recipients: dict[str, tuple[int, bytes]]) -> DeliveryError:
    codes = [code for code, _ in recipients.values()]
    detail = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in sorted(recipients.items()))
    kind = MessageRefused if codes and all(code >= 500 for code in codes) else TransientDeliveryError
    return kind(f"{what}: {detail}")
