"""A real IMAP server for the reply tests: Debian's dovecot, unprivileged, in a temporary folder.

As root (CI), dovecot's login processes run as `dovenull` and mail is stored as the `dovecot`
user (dovecot refuses root for both); as anyone else, everything runs as that user. Loopback
only, no TLS (`security = "none"` with `allow_insecure`), one static user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot",) if Path(p).is_file() and os.access(p, os.X_OK)), None
)
USER = "monitor"
PASSWORD = "imap-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        client.select_folder("INBOX")
        return client

    def deliver(self, raw: bytes) -> None:
        """Put a message in the inbox as a mail server would (IMAP APPEND)."""
        client = self.client()
        try:
            client.append("INBOX", raw)
        finally:
            client.logout()

    def empty(self) -> None:
        client = self.client()
        try:
            uids = client.search(["ALL"])
            if uids:
                client.delete_messages(uids)
                client.expunge()
        finally:
            client.logout()

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _config(folder: Path, port: int) -> tuple[str, pwd.struct_passwd]:
    if os.geteuid() == 0:
        internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
        mail = internal
    else:
        internal = login = mail = pwd.getpwuid(os.getuid())
    return (
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal.pw_name}
default_internal_group = {_group(internal.pw_gid)}
default_login_user = {login.pw_name}
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""",
        mail,
    )


@contextmanager
def running() -> Iterator[Dovecot]:
    assert DOVECOT is not None
    folder = Path(tempfile.mkdtemp(prefix="monitor-dovecot-"))
    folder.chmod(0o755)  # dovecot's unprivileged processes must reach their folders
    port = free_port()
    text, mail = _config(folder, port)
    (folder / "dovecot.conf").write_text(text)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    for sub in ("run", "state", "mail", "home"):
        (folder / sub).mkdir()
    if os.geteuid() == 0:
        for sub in ("mail", "home"):
            os.chown(folder / sub, mail.pw_uid, mail.pw_gid)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Dovecot(port, folder, process)
    try:
        _wait_for_login(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _wait_for_login(server: Dovecot) -> None:
    """Readiness, not a timed assertion: try to log in until it works or dovecot gives up."""
    deadline = time.monotonic() + 30
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dovecot exited ({server.process.returncode}):\n{server.log()}")
        try:
            server.client().logout()
            return
        except Exception as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not accept a login: {last}\n{server.log()}")
