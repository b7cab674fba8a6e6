"""Fixtures for the alert tests: real SMTP servers on 127.0.0.1 (plain, STARTTLS, TLS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.alerts.helpers import Handler, self_signed


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A certificate from a CA the test trusts, the CA itself, and a self-signed one."""
    folder = tmp_path_factory.mktemp("tls")
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    files = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    leaf.cert_chain_pems[0].write_to_path(str(files["cert"]))
    leaf.private_key_pem.write_to_path(str(files["key"]))
    files["self_cert"], files["self_key"] = self_signed(folder)
    return files


@pytest.fixture
def handler() -> Iterator[Handler]:
    yield Handler()
