"""Starting the web app: never with the development key unless asked (--dev), never without a base URL or a
secret, `newsletter serve --dev` on this machine, and what a worker accepted last applied when it stops."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from conftest import TEST_SECRET
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import ConfigError, TokenError
from newsletter.subscribers.listfile import read_subscribers
from newsletter.tokens import DEV_SECRET, make_token
from newsletter.web.app import create_app
from web_support import free_port, hidden_fields, link_in, make_publication, running, set_base_url, wait_until

DEV_REFUSED = (
    "NEWSLETTER_SECRET is not set, so links would be signed with the development key: set it to a long random "
    "string before serving readers (or try the app on this machine with --dev)."
)


def test_the_development_key_is_refused_unless_dev(tmp_path: Path) -> None:
    root = make_publication(tmp_path)
    set_base_url(root, "https://www.indiawrites.org/newsletter")
    config = load_config(root / "newsletter.toml")
    with pytest.raises(TokenError) as refused:
        create_app(config, DEV_SECRET)
    assert str(refused.value) == DEV_REFUSED
    create_app(config, DEV_SECRET, dev=True)
    with pytest.raises(TokenError) as short:
        create_app(config, b"too short", dev=True)
    assert str(short.value).startswith("NEWSLETTER_SECRET is 9 bytes long: set it to at least 32 random bytes")


def test_no_base_url_no_app(tmp_path: Path) -> None:
    root = make_publication(tmp_path)
    with pytest.raises(ConfigError) as refused:
        create_app(load_config(root / "newsletter.toml"), TEST_SECRET)
    assert str(refused.value) == (
        f"{root / 'newsletter.toml'}: [web] base_url is empty: set it to the public https address the app answers at "
        "(e.g. https://www.indiawrites.org/newsletter)."
    )


def test_serve_refuses_the_development_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_publication(tmp_path)
    set_base_url(root, "https://www.indiawrites.org/newsletter")
    monkeypatch.chdir(root)
    monkeypatch.delenv("NEWSLETTER_SECRET")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"error: {DEV_REFUSED}"


def test_the_factory_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    root = make_publication(tmp_path)
    set_base_url(root, "https://www.indiawrites.org/newsletter")
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_SECRET"}
    done = subprocess.run(
        [sys.executable, "-c", "from newsletter.web.asgi import app_from_environment; app_from_environment()"],
        env={**env, "NEWSLETTER_CONFIG": str(root / "newsletter.toml")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "newsletter.errors.TokenError: NEWSLETTER_SECRET is not set: set it to the secret the emails' links were "
        "signed with before serving."
    )


def test_serve_dev_answers_here_and_applies_what_it_accepted_when_stopped(tmp_path: Path) -> None:
    root = make_publication(tmp_path, [("asha@example.org", "active")])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_SECRET"}
    command = [sys.executable, "-m", "newsletter", "serve", "--dev", "--port", str(port)]
    server = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz"), "newsletter serve --dev to answer")
        form = httpx.get(f"{base}/subscribe")
        assert form.status_code == 200 and 'action="/subscribe"' in form.text
        token = make_token(DEV_SECRET, "unsubscribe", "asha@example.org")
        assert (
            httpx.post(f"{base}/unsubscribe?token={token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == -signal.SIGTERM  # uvicorn shuts down gracefully, then re-raises the signal
    assert stderr.decode().splitlines()[:2] == [
        "warning: NEWSLETTER_SECRET is not set: unsubscribe links are signed with a development key (fine for "
        "trying things out; set the secret before sending for real).",
        f"Serving http://127.0.0.1:{port}/ on 127.0.0.1:{port} (Ctrl+C stops it).",
    ]
    [row] = list(read_subscribers(root / "subscribers.csv"))
    assert (row.status, row.reason) == ("unsubscribed", "unsubscribed on the web (one-click)")


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_publication(tmp_path)
    monkeypatch.chdir(root)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--dev", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): pass --port with another number, or "
        "stop what listens there."
    ]


def test_serve_says_where_the_emails_go_when_the_outbox_keeps_them(tmp_path: Path) -> None:
    root = make_publication(tmp_path, [("asha@example.org", "active")])
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "newsletter", "serve", "--dev", "--port", str(port)], cwd=root,
                              stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), "newsletter serve --dev to answer")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert stderr.decode().splitlines()[:2] == [
        f"Serving http://127.0.0.1:{port}/ on 127.0.0.1:{port} (Ctrl+C stops it).",
        "Confirmations and welcomes are written to outbox/_transactional/, not sent: set [send] transactional_provider "
        "(or provider) in newsletter.toml to send them.",
    ]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_behind_the_proxy_the_app_answers_under_the_public_path_and_links_to_the_public_address(tmp_path: Path) -> None:
    root = make_publication(tmp_path)
    public = "https://www.indiawrites.org/newsletter"
    with running(root, base_url=public, trust_proxy=True) as server:
        proxy = {"X-Forwarded-For": "203.0.113.9, 10.0.0.2", "Origin": "https://www.indiawrites.org"}
        form = httpx.get(f"{server.base}/subscribe", headers=proxy)
        assert form.headers["strict-transport-security"] == "max-age=31536000"
        fields = {**hidden_fields(form.text), "email": "proxied@example.org"}
        assert httpx.post(f"{server.base}/subscribe", data=fields, headers=proxy).status_code == 200
        link = link_in(server.wait_for_message("proxied@example.org"), f"{public}/confirm?token=")
        assert httpx.get(link.replace(public, server.base)).status_code == 200
        assert httpx.get(server.base).headers["location"] == f"{public}/"
    # The shutdown applied it. The address is the entry the proxy itself added: the rest a client can forge.
    [row] = list(read_subscribers(root / "subscribers.csv"))
    assert (row.email, row.status, json.loads(row.consent)["ip"]) == ("proxied@example.org", "pending", "10.0.0.2")
