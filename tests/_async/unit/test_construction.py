"""Building a client as wuying-agentbay-sdk 0.22.3 builds one: Config's order and defaults, the
endpoint a region names, the environment and ``.env`` files, and the region sent on create."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from agentbay import AgentBayError, AsyncAgentBay, Config, _config
from tests.helpers import API_KEY, CONTEXT_DATA, ENDPOINT, form, ok

VARIABLES = ("AGENTBAY_API_KEY", "AGENTBAY_ENDPOINT", "AGENTBAY_TIMEOUT_MS", "AGENTBAY_REGION_ID")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No AGENTBAY_* variable, and a working directory with no ``.env`` above it."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    real = _config.find_env_file

    def find_within(start: Path | None = None) -> Path | None:
        """Stop at ``tmp_path``: a ``.env`` of the machine must not leak in."""
        found = real(start)
        return found if found is not None and tmp_path in found.parents else None

    monkeypatch.setattr(_config, "find_env_file", find_within)
    yield
    for name in VARIABLES:  # a .env file loaded them: monkeypatch restores the originals
        os.environ.pop(name, None)


def _client(*args: object, **kwargs: object) -> AsyncAgentBay:
    return AsyncAgentBay(*args, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Config


def test_config_takes_0_22_3_s_order_every_argument_optional() -> None:
    assert Config() == Config(None, None, None)
    cfg = Config(30_000, "ap-southeast-1", "http://127.0.0.1:9")
    assert (cfg.timeout_ms, cfg.region_id, cfg.endpoint) == (
        30_000,
        "ap-southeast-1",
        "http://127.0.0.1:9",
    )
    assert Config(timeout_ms=30_000) == Config(30_000)
    assert Config(region_id="cn-hangzhou").region_id == "cn-hangzhou"
    with pytest.raises(TypeError):
        Config(30_000, "cn-hangzhou", "h", 3)  # type: ignore[misc]


def test_the_defaults_are_0_22_3_s() -> None:
    client = _client(API_KEY, Config())
    assert client.region_id == "cn-hangzhou"
    assert client.config.timeout_ms == 60_000
    assert client.config.base_url == "https://agentbay.cn-hangzhou.aliyuncs.com/"
    assert Config().base_url == "https://agentbay.cn-hangzhou.aliyuncs.com/"


@pytest.mark.parametrize(
    ("region", "sent", "host"),
    [
        ("cn-hangzhou", "cn-hangzhou", "agentbay.cn-hangzhou.aliyuncs.com"),
        ("ap-southeast-1", "ap-southeast-1", "agentbay.ap-southeast-1.aliyuncs.com"),
        ("us-east-1", "us-east-1", "agentbay.us-east-1.aliyuncs.com"),
        ("pre-cn-hangzhou", "cn-hangzhou", "agentbay-pre.cn-hangzhou.aliyuncs.com"),
        ("pre-ap-southeast-1", "ap-southeast-1", "wuyingai-pre.ap-southeast-1.aliyuncs.com"),
    ],
)
def test_a_known_region_names_its_endpoint_silently(
    region: str, sent: str, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="agentbay")
    client = _client(API_KEY, Config(region_id=region))
    assert (client.region_id, client.config.base_url) == (sent, f"https://{host}/")
    assert caplog.records == []


@pytest.mark.parametrize(
    ("region", "sent", "host"),
    [
        ("eu-central-1", "eu-central-1", "agentbay.eu-central-1.aliyuncs.com"),
        ("pre-us-east-1", "us-east-1", "agentbay-pre.us-east-1.aliyuncs.com"),
    ],
)
def test_an_unknown_region_warns_and_follows_the_pattern(
    region: str, sent: str, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="agentbay")
    client = _client(API_KEY, Config(region_id=region))
    assert (client.region_id, client.config.base_url) == (sent, f"https://{host}/")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert region in caplog.records[0].getMessage()


def test_an_endpoint_in_code_wins_over_the_region_s_host() -> None:
    # The one deliberate difference from 0.22.3 (which ignores it): the emulator case.
    client = _client(API_KEY, Config(region_id="ap-southeast-1", endpoint=ENDPOINT))
    assert (client.region_id, client.config.base_url) == ("ap-southeast-1", ENDPOINT + "/")


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout_ms": 0}, {"timeout_ms": "60000"}, {"region_id": 5}, {"endpoint": b"h"}],
)
def test_bad_values_are_refused_before_anything_is_sent(kwargs: dict[str, object]) -> None:
    with pytest.raises(AgentBayError, match=f"Config.{next(iter(kwargs))}"):
        Config(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the client


def test_the_client_takes_0_22_3_s_arguments_positionally(tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("AGENTBAY_REGION_ID=us-east-1\n")
    assert _client(API_KEY, None, str(env_file)).region_id == "us-east-1"
    assert _client(API_KEY, Config(region_id="ap-southeast-1")).region_id == "ap-southeast-1"
    with pytest.raises(TypeError):
        _client(API_KEY, None, None, httpx.AsyncClient())
    with pytest.raises(AgentBayError, match="cfg must be a Config"):
        _client(API_KEY, {"region_id": "x"})


def test_the_environment_is_read_when_no_cfg_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTBAY_API_KEY", API_KEY)
    monkeypatch.setenv("AGENTBAY_TIMEOUT_MS", "1500")
    monkeypatch.setenv("AGENTBAY_REGION_ID", "ap-southeast-1")
    client = _client()
    assert (client.api_key, client.config.timeout_ms, client.region_id) == (
        API_KEY,
        1500,
        "ap-southeast-1",
    )
    assert client.config.base_url == "https://agentbay.ap-southeast-1.aliyuncs.com/"


def test_the_endpoint_variable_is_a_fallback_for_no_region(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AGENTBAY_ENDPOINT", "http://127.0.0.1:9")
    client = _client(API_KEY)
    assert (client.config.base_url, client.region_id) == ("http://127.0.0.1:9/", "cn-hangzhou")
    monkeypatch.setenv("AGENTBAY_REGION_ID", "us-east-1")
    caplog.set_level(logging.WARNING, logger="agentbay")
    client = _client(API_KEY)
    assert client.config.base_url == "https://agentbay.us-east-1.aliyuncs.com/"
    assert "AGENTBAY_ENDPOINT is ignored" in caplog.text


def test_a_cfg_given_means_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTBAY_REGION_ID", "us-east-1")
    monkeypatch.setenv("AGENTBAY_TIMEOUT_MS", "1500")
    client = _client(API_KEY, Config())
    assert (client.region_id, client.config.timeout_ms) == ("cn-hangzhou", 60_000)


def test_a_bad_timeout_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTBAY_TIMEOUT_MS", "soon")
    with pytest.raises(AgentBayError, match="AGENTBAY_TIMEOUT_MS"):
        _client(API_KEY)


def test_no_key_anywhere_is_a_clear_error() -> None:
    with pytest.raises(AgentBayError, match="AGENTBAY_API_KEY"):
        _client()


# --------------------------------------------------------------------------- .env files


def test_the_nearest_dot_env_upward_is_loaded(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"AGENTBAY_API_KEY={API_KEY}\nAGENTBAY_REGION_ID=pre-cn-hangzhou\nAGENTBAY_TIMEOUT_MS=2500\n"
    )
    client = _client()  # the working directory is tmp_path/home: found one level up
    assert (client.api_key, client.region_id, client.config.timeout_ms) == (
        API_KEY,
        "cn-hangzhou",
        2500,
    )
    assert client.config.base_url == "https://agentbay-pre.cn-hangzhou.aliyuncs.com/"


def test_a_given_env_file_wins_and_set_variables_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("AGENTBAY_REGION_ID=us-east-1\n")
    custom = tmp_path / "staging.env"
    custom.write_text("AGENTBAY_REGION_ID=ap-southeast-1\nAGENTBAY_TIMEOUT_MS=2500\n")
    monkeypatch.setenv("AGENTBAY_TIMEOUT_MS", "1500")
    client = _client(API_KEY, env_file=custom)
    assert (client.region_id, client.config.timeout_ms) == ("ap-southeast-1", 1500)


def test_a_missing_env_file_falls_back_to_the_search(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / ".env").write_text("AGENTBAY_REGION_ID=us-east-1\n")
    caplog.set_level(logging.WARNING, logger="agentbay")
    client = _client(API_KEY, env_file=tmp_path / "absent.env")
    assert client.region_id == "us-east-1"
    assert "absent.env does not exist" in caplog.text


def test_no_env_file_is_read_when_a_cfg_is_given(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AGENTBAY_REGION_ID=us-east-1\n")
    assert _client(API_KEY, Config(), env_file=tmp_path / ".env").region_id == "cn-hangzhou"


# --------------------------------------------------------------------------- on the wire


@pytest.mark.parametrize(
    ("cfg", "sent"),
    [
        (Config(endpoint=ENDPOINT, max_retries=0), "cn-hangzhou"),
        (
            Config(region_id="pre-ap-southeast-1", endpoint=ENDPOINT, max_retries=0),
            "ap-southeast-1",
        ),
    ],
)
async def test_the_region_is_sent_as_login_region_id_on_create_only(cfg: Config, sent: str) -> None:
    with respx.mock(base_url=ENDPOINT) as api:
        route = api.post("/").mock(return_value=ok(CONTEXT_DATA))
        async with AsyncAgentBay(API_KEY, cfg, http_client=httpx.AsyncClient()) as client:
            await client.context.get(name="a", create=True)
            assert form(route.calls.last.request)["LoginRegionId"] == sent
            await client.context.get(name="a")
            assert "LoginRegionId" not in form(route.calls.last.request)
