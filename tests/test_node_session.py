"""The environment a node connection obeys (proxies, NO_PROXY, a CA bundle) is read once per node
session, with the same meaning requests gives it on every request."""

from __future__ import annotations

import pytest

from attest.chain.transport import node_session


def test_a_proxy_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = node_session("http://10.1.2.3:8545")
    assert session.proxies.get("http") == "http://127.0.0.1:3128"
    assert not session.trust_env  # not read again for each request


def test_no_proxy_is_obeyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "10.1.2.3")
    assert "http" not in node_session("http://10.1.2.3:8545").proxies


def test_a_ca_bundle_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/consortium/ca.pem")
    assert node_session("https://node.consortium.example:8545").verify == "/etc/consortium/ca.pem"
