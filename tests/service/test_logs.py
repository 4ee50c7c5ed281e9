"""Structured logs: one JSON object per event, readable text on terminals, secrets never written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from image_updater.logs import configure_logging, get_logger
from image_updater.secrets import REDACTOR, Redactor
from tests.support.service_app import auth_for, running_app, secret_for
from tests.support.service_payloads import SAMPLES


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def captured() -> Iterator[list[io.StringIO]]:
    """Streams handed to configure_logging; the handler is removed and secrets forgotten afterwards."""
    root = logging.getLogger()
    before_handlers, before_level = list(root.handlers), root.level
    streams: list[io.StringIO] = []
    yield streams
    for handler in list(root.handlers):
        if handler not in before_handlers:
            root.removeHandler(handler)
    root.setLevel(before_level)
    REDACTOR.clear()


def test_json_lines_carry_fields(captured: list[io.StringIO]) -> None:
    stream = io.StringIO()
    captured.append(stream)
    configure_logging("auto", "info", stream=stream)  # not a terminal: JSON
    log = get_logger("image_updater.cycle").bind(repo="git@example.com:ops/config.git")
    log.info("update decided", image="web", registry="127.0.0.1:5000", decision="1.2.0 -> 1.3.0", duration=0.25)
    log.debug("not shown at info")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert (event["event"], event["level"], event["logger"]) == ("update decided", "info", "image_updater.cycle")
    assert (event["image"], event["registry"], event["decision"], event["duration"]) == (
        "web",
        "127.0.0.1:5000",
        "1.2.0 -> 1.3.0",
        0.25,
    )
    assert event["repo"] == "git@example.com:ops/config.git"
    assert event["ts"].endswith("Z")


def test_text_on_a_terminal(captured: list[io.StringIO]) -> None:
    stream = _Tty()
    configure_logging("auto", "debug", stream=stream)
    get_logger("image_updater.cycle").warning("push retried", attempt=2, reason="remote moved")
    (line,) = stream.getvalue().splitlines()
    assert "WARNING" in line and "image_updater.cycle: push retried" in line
    assert 'attempt=2 reason="remote moved"' in line


def test_registered_secrets_and_credential_shapes_are_masked(captured: list[io.StringIO]) -> None:
    stream = io.StringIO()
    configure_logging("json", "info", secrets=["s3cret-registry-pass", "ab"], stream=stream)
    log = get_logger("image_updater.registry")
    log.info(
        "login with s3cret-registry-pass failed",
        url="https://ci:hunter2@registry.example.com/v2/",
        header="Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig",
        password="plain-value",
        query="https://auth.example.com/token?scope=x&access_token=abc123xyz&service=y",
    )
    try:
        raise RuntimeError("request failed: Authorization: Basic Y2k6aHVudGVyMg==, token=deadbeefcafe")
    except RuntimeError:
        log.exception("registry error", registry="registry.example.com")
    text = stream.getvalue()
    for secret in (
        "s3cret-registry-pass",
        "hunter2",
        "eyJhbGciOiJSUzI1NiJ9",
        "plain-value",
        "abc123xyz",
        "Y2k6aHVudGVyMg==",
        "deadbeefcafe",
    ):
        assert secret not in text, secret
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["event"] == "login with *** failed"
    assert first["url"] == "https://***@registry.example.com/v2/"
    assert first["password"] == "***"
    assert "service=y" in first["query"]  # only the credential is masked
    assert "RuntimeError" in second["error"]
    assert REDACTOR.redact("a table") == "a table"  # "ab" is too short to be masked by value


def test_redactor_masks_longest_secret_first() -> None:
    redactor = Redactor()
    redactor.register("token-1234", "token-1234-extended")
    assert redactor.redact("x token-1234-extended y token-1234") == "x *** y ***"


async def test_webhook_secrets_never_reach_the_logs(tmp_path: Path, captured: list[io.StringIO]) -> None:
    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream)
    async with running_app(tmp_path, receivers={"hub": "dockerhub", "registry": "distribution"}) as app:
        body = SAMPLES["dockerhub"].raw()
        path, headers = auth_for("dockerhub", "hub", body)
        async with httpx.AsyncClient(base_url=app.url) as client:
            assert (await client.post(path, content=body, headers=headers)).status_code == 202
            assert (await client.post(path + "x", content=body)).status_code == 401
            resp = await client.post(
                "/webhook/registry", content=b"{}", headers={"Authorization": f"Bearer {secret_for('registry')}"}
            )
            assert resp.status_code == 400
        get_logger("test").info(f"echo {secret_for('hub')} and {secret_for('registry')}")
    text = stream.getvalue()
    assert "webhook accepted" in text and "webhook refused" in text and "webhook payload rejected" in text
    assert secret_for("hub") not in text and secret_for("registry") not in text
    assert "echo *** and ***" in text


def test_fields_a_library_passes_with_extra_are_kept_and_redacted(captured: list[io.StringIO]) -> None:
    # a stdlib logger (as libraries log) with extra=: the fields once vanished, and a rejected push its reason
    stream = io.StringIO()
    captured.append(stream)
    configure_logging("json", "info", secrets=["tok-0123456789"], stream=stream)
    logging.getLogger("some.library").warning("push rejected", extra={"attempt": 2, "detail": "x tok-0123456789"})
    event = json.loads(stream.getvalue().splitlines()[-1])
    assert (event["event"], event["attempt"], event["detail"]) == ("push rejected", 2, "x ***")
