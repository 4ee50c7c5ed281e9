"""GitHub App auth: RS256 JWT → installation token, cached across cycles, against the fake's key check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from image_updater.delivery import PullRequestSettings, ensure_pull_request
from image_updater.errors import ConfigError, ForgeError
from image_updater.forge import GitHubAppSettings
from image_updater.secrets import REDACTOR
from tests.forge.conftest import ForgeRig, serve_rig
from tests.support.forge_fake_github import FakeGitHub

APP_ID, INSTALLATION = 1234, 5678
TOKEN_CALL = ("POST", rf"/app/installations/{INSTALLATION}/access_tokens")


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def app_rig(tmp_path: Path, app_key: rsa.RSAPrivateKey) -> Iterator[tuple[ForgeRig, Path]]:
    pem = app_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(pem)
    public = (
        app_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # prefix "" is api.github.com's layout; the other tests use the Enterprise /api/v3 layout
    for rig in serve_rig("github", tmp_path, prefix="", app=(APP_ID, INSTALLATION, public)):
        yield rig, key_file


def app_settings(key_file: Path) -> dict[str, object]:
    return {
        "token_file": None,
        "github_app": GitHubAppSettings(app_id=APP_ID, installation_id=INSTALLATION, private_key_file=str(key_file)),
    }


async def test_one_installation_token_serves_many_cycles(app_rig: tuple[ForgeRig, Path]) -> None:
    rig, key_file = app_rig
    settings = PullRequestSettings()
    forge = rig.client(**app_settings(key_file))
    try:
        for _ in range(5):
            await ensure_pull_request(forge, "image-updater/all", "main", "t", "b", settings)
    finally:
        await forge.aclose()
    assert isinstance(rig.fake, FakeGitHub)
    assert len(rig.fake.calls(*TOKEN_CALL)) == 1
    assert len(rig.fake.installation_tokens) == 1 and len(rig.fake.open_prs()) == 1
    assert all(token not in repr(forge) for token in rig.fake.installation_tokens)


async def test_a_token_near_expiry_is_replaced(app_rig: tuple[ForgeRig, Path]) -> None:
    rig, key_file = app_rig
    assert isinstance(rig.fake, FakeGitHub)
    rig.fake.token_expiry = timedelta(minutes=2)  # inside the refresh margin: every use refreshes
    forge = rig.client(**app_settings(key_file))
    try:
        await forge.find_open_pull_request("a", "main")
        await forge.find_open_pull_request("a", "main")
    finally:
        await forge.aclose()
    assert len(rig.fake.calls(*TOKEN_CALL)) == 2


async def test_a_key_the_app_does_not_own_is_refused_with_githubs_message(
    app_rig: tuple[ForgeRig, Path], tmp_path: Path
) -> None:
    rig, _ = app_rig
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = tmp_path / "wrong.pem"
    wrong.write_bytes(
        other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    forge = rig.client(**app_settings(wrong))
    try:
        with pytest.raises(ForgeError, match="JSON web token could not be decoded") as caught:
            await forge.find_open_pull_request("a", "main")
    finally:
        await forge.aclose()
    assert caught.value.status == 401 and f"installation {INSTALLATION}" in str(caught.value)


async def test_a_file_that_is_not_a_key_is_a_config_error(app_rig: tuple[ForgeRig, Path], tmp_path: Path) -> None:
    rig, _ = app_rig
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    forge = rig.client(**app_settings(junk))
    try:
        with pytest.raises(ConfigError, match="private_key_file"):
            await forge.find_open_pull_request("a", "main")
    finally:
        await forge.aclose()


async def test_installation_tokens_are_masked_in_logs(app_rig: tuple[ForgeRig, Path]) -> None:
    rig, key_file = app_rig
    assert isinstance(rig.fake, FakeGitHub)
    REDACTOR.clear()
    forge = rig.client(**app_settings(key_file))
    try:
        await forge.find_open_pull_request("a", "main")
        assert len(rig.fake.installation_tokens) == 1
        assert REDACTOR.redact(f"got {rig.fake.installation_tokens[0]}") == "got ***"
    finally:
        await forge.aclose()
        REDACTOR.clear()
