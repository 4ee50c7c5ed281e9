"""Politeness and resilience: Retry-After, backoff with jitter, timeouts, resets, truncation, isolation."""

from __future__ import annotations

import logging

import pytest

from image_updater.errors import RegistryNotFoundError, RegistryUnavailableError
from image_updater.logs import fields_of
from image_updater.registry import RegistryClient, RegistrySettings, TagScanner
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy


def flaky(proxy: RegistryProxy, **extra: object) -> RegistrySettings:
    fields = {
        "name": "flaky",
        "url": proxy.url,
        "prefix": proxy.host,
        "insecure": True,
        "backoff": 0.05,
        "timeout": 0.5,
        "retries": 3,
        **extra,
    }
    return RegistrySettings.model_validate(fields)


def retries_logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, float]]:
    """(reason, retry, wait) of each retry the client logged for the flaky registry, read from the event's fields."""
    events = [fields_of(r) for r in caplog.records if r.getMessage() == "registry request retried"]
    return [(f["reason"], f["retry"], f["wait"]) for f in events if f["registry"] == "flaky"]


@pytest.fixture
def seeded(registry: RegistryServer) -> RegistryServer:
    with registry.pusher() as pusher:
        for repo in ("good", "flaky", "broken"):
            pusher.push_tags(repo, ["1.0", "2.0"])
    return registry


@pytest.mark.parametrize("fault", ["503", "500", "reset", "truncated", "badjson", "slow"])
async def test_each_transient_fault_is_retried(
    seeded: RegistryServer, proxy: RegistryProxy, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="image_updater.registry")
    proxy.behaviour.faults["flaky"] = [fault, fault]
    proxy.behaviour.slow_seconds = 1.5
    seen: list[tuple[str, int | None]] = []

    def observe(name: str, status: int | None, _: float) -> None:
        seen.append((name, status))

    async with RegistryClient([flaky(proxy)], on_request=observe) as client:
        assert sorted(await client.list_tags(f"{proxy.host}/flaky")) == ["1.0", "2.0"]
    retries = retries_logged(caplog)
    # aiohttp itself re-sends once when a kept-alive connection was reset, so count what we logged
    assert [n for _, n, _ in retries] in ([[1], [1, 2]] if fault == "reset" else [[1, 2]])
    assert proxy.behaviour.faults["flaky"] == []
    # exponential backoff with jitter: retry k waits between half and all of backoff * 2**(k-1)
    for _, number, wait in retries:
        assert 0.05 * 2 ** (number - 1) / 2 <= wait <= 0.05 * 2 ** (number - 1)
    failed_status = {"503": 503, "500": 500, "badjson": 200}.get(fault)  # None: no complete answer
    assert seen[: len(retries)] == [("flaky", failed_status)] * len(retries) and seen[-1] == ("flaky", 200)


async def test_429_waits_as_long_as_retry_after_says(
    seeded: RegistryServer, proxy: RegistryProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="image_updater.registry")
    proxy.behaviour.faults["flaky"] = ["429"]
    proxy.behaviour.retry_after = "1"
    async with RegistryClient([flaky(proxy)]) as client:
        assert sorted(await client.list_tags(f"{proxy.host}/flaky")) == ["1.0", "2.0"]
    assert retries_logged(caplog) == [("HTTP 429", 1, 1.0)]


async def test_a_retry_after_beyond_the_limit_gives_up_at_once(seeded: RegistryServer, proxy: RegistryProxy) -> None:
    proxy.behaviour.faults["flaky"] = ["429"]
    proxy.behaviour.retry_after = "3600"
    async with RegistryClient([flaky(proxy, max_retry_wait=30)]) as client:
        with pytest.raises(RegistryUnavailableError, match="Retry-After 3600s exceeds max_retry_wait"):
            await client.list_tags(f"{proxy.host}/flaky")
    assert len(proxy.requests) == 1


async def test_a_failing_image_never_stops_the_others(seeded: RegistryServer, proxy: RegistryProxy) -> None:
    proxy.behaviour.broken.add("broken")
    proxy.behaviour.faults["flaky"] = ["slow"] * 10
    proxy.behaviour.slow_seconds = 1.0
    host = proxy.host
    async with RegistryClient([flaky(proxy, retries=1)]) as client:
        result = await TagScanner(client).scan(
            [f"{host}/good", f"{host}/broken", f"{host}/flaky", f"{host}/absent", "bad name!"]
        )
    assert sorted(result[f"{host}/good"]) == ["1.0", "2.0"]  # type: ignore[arg-type]
    broken = result[f"{host}/broken"]
    assert isinstance(broken, RegistryUnavailableError)
    assert str(broken) == f"registry flaky image {host}/broken: HTTP 503 (gave up after 2 attempts)"
    slow = result[f"{host}/flaky"]
    assert isinstance(slow, RegistryUnavailableError) and "no answer within 0.5s" in str(slow)
    assert isinstance(result[f"{host}/absent"], RegistryNotFoundError)
    assert "'bad name!' is not a valid image name" in str(result["bad name!"])
    assert proxy.per_repository["broken"] == 2 and proxy.per_repository["good"] == 1
