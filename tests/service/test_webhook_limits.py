"""Webhooks under abuse: odd payloads from an authenticated sender are a 400 with a reason, never a 500;
unauthenticated bodies are read for a bounded time, a bounded number at once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from image_updater.webhooks import SENDERS, WebhookPayloadError
from tests.support.service_app import auth_for, running_app, secret_for, sign_body
from tests.support.service_payloads import SAMPLES

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a sample payload a value sits (keys of objects, indices of arrays)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


@pytest.mark.parametrize("kind", sorted(SENDERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_in_a_payload_is_events_or_a_payload_error(kind: str, data: st.DataObject) -> None:
    sample = SAMPLES[kind]
    path = data.draw(st.sampled_from(_paths(sample.body)))
    payload = _replaced(sample.body, path, data.draw(JSON))
    try:
        events = SENDERS[kind].parser(payload, sample.headers, kind)
    except WebhookPayloadError:
        return
    assert isinstance(events, list)


async def test_an_authenticated_payload_of_the_wrong_shape_is_a_400_with_the_reason(tmp_path: Path) -> None:
    receivers = {"harbor": "harbor", "ci": "generic"}
    async with running_app(tmp_path, receivers=receivers) as app, httpx.AsyncClient(base_url=app.url) as client:
        body = b'{"type": []}'
        path, headers = auth_for("harbor", "harbor", body)
        reply = await client.post(path, content=body, headers=headers)
        assert reply.status_code == 400, reply.text
        reason = "webhook receiver harbor: type: expected a string"
        assert reply.json() == {"status": "malformed payload", "reason": reason}
        body = b'{"events": [{"image": ["not", "a", "string"]}]}'
        path, headers = auth_for("generic", "ci", body)
        reply = await client.post(path, content=body, headers=headers)
        assert reply.status_code == 400 and "events[0].image: expected a non-empty string" in reply.json()["reason"]
    assert app.events == []


async def _slow_request(url: str, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Headers promising 1000 bytes, then 10 of them, then nothing: the connection stays open."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "X-Signature: sha256=00\r\nContent-Length: 1000\r\n\r\n".encode()
        + b'{"events":'
    )
    await writer.drain()
    return reader, writer  # the writer too: dropping it would close the connection


async def test_unauthenticated_bodies_are_read_for_a_bounded_time_and_a_bounded_number_at_once(tmp_path: Path) -> None:
    receivers = {"ci": "generic", "registry": "distribution"}
    async with running_app(tmp_path, receivers=receivers, body_timeout=3.0, max_unauthenticated_bodies=4) as app:
        slow = [await _slow_request(app.url, "/webhook/ci") for _ in range(4)]
        body = json.dumps({"image": "127.0.0.1:5000/team/web:1.2.0"}).encode()
        signed = {"X-Signature": sign_body(secret_for("ci"), body)}
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            # while the four slow senders hold every slot, a fifth signature request is turned away at once
            for _ in range(500):
                reply = await client.post("/webhook/ci", content=body, headers=signed)
                if reply.status_code == 503:
                    break
                await asyncio.sleep(0.01)
            assert reply.status_code == 503 and "too many unauthenticated" in reply.text
            # a token receiver authenticates before reading, so the cap does not stand in its way
            sample = SAMPLES["distribution"]
            path, headers = auth_for("distribution", "registry", sample.raw())
            accepted = await client.post(path, content=sample.raw(), headers=headers)
            assert accepted.status_code == 202
            # each slow sender is answered 408 once body_timeout has passed, and its slot is free again
            for reader, writer in slow:
                status_line = await asyncio.wait_for(reader.readline(), timeout=30)
                assert status_line.startswith(b"HTTP/1.1 408"), status_line
                writer.close()
            after = await client.post("/webhook/ci", content=body, headers=signed)
            assert after.status_code == 202, after.text
    assert app.metrics.value("image_updater_webhook_events_total", {"receiver": "ci", "result": "timeout"}) == 4
    assert app.metrics.value("image_updater_webhook_events_total", {"receiver": "ci", "result": "busy"}) >= 1
