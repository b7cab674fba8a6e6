"""The one exception tree. Every error the monitor raises on purpose is one of these.

    MonitorError
    ├── ConfigError               bad or missing configuration (names file, key, fix) → exit 2
    ├── StorageError              the database cannot be opened, migrated or written
    │   └── AlreadyRunning        another daemon holds the lock on this database
    ├── ConnectorError            a platform call failed (recorded per account; never kills a run)
    │   ├── AuthError             token expired/revoked/missing permission: needs a human
    │   ├── RateLimited           the platform asked us to wait until `reset_at`
    │   ├── TransientError        5xx, timeouts, connection resets: retry later with backoff
    │   └── PermanentError        a request that will never work (bad id, removed endpoint, bad payload)
    ├── ClassifierError           a model cannot be loaded or run
    ├── DeliveryError             an alert could not be delivered
    │   ├── TransientDeliveryError   SMTP down, 4xx reply: retry with backoff
    │   └── PermanentDeliveryError   refused for good (5xx reply, TLS verification failed, template error)
    ├── MailboxError              the replies mailbox (IMAP) cannot be reached or read: tried again later
    └── InputError                a malformed export line, a bad CLI argument value

Exceptions never log in their constructors and are never used for "nothing new".
"""

from __future__ import annotations

from datetime import datetime


class MonitorError(Exception):
    """Base of everything the monitor raises deliberately."""


class ConfigError(MonitorError):
    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ""
        if path and key:
            where = f"{path}: {key}: "
        elif path:
            where = f"{path}: "
        elif key:
            where = f"{key}: "
        super().__init__(f"{where}{message}")


class StorageError(MonitorError):
    pass


class AlreadyRunning(StorageError):
    pass


class ConnectorError(MonitorError):
    pass


class AuthError(ConnectorError):
    """The credentials no longer work, or lack a permission. Retrying will not help."""


class RateLimited(ConnectorError):
    def __init__(self, message: str, *, reset_at: datetime) -> None:
        self.reset_at = reset_at
        super().__init__(f"{message} (retry after {reset_at.isoformat(timespec='seconds')})")


class TransientError(ConnectorError):
    pass


class PermanentError(ConnectorError):
    pass


class ClassifierError(MonitorError):
    pass


class DeliveryError(MonitorError):
    pass


class TransientDeliveryError(DeliveryError):
    pass


class PermanentDeliveryError(DeliveryError):
    pass


class MailboxError(MonitorError):
    pass


class InputError(MonitorError):
    pass
