"""Config, environment fallbacks and the client constructor, for both flavours."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentbay import AgentBay, AgentBayError, AsyncAgentBay, Config
from tests.helpers import API_KEY

CLIENTS = [AgentBay, AsyncAgentBay]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AGENTBAY_API_KEY",
        "AGENTBAY_ENDPOINT",
        "AGENTBAY_TIMEOUT_MS",
        "AGENTBAY_REGION_ID",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("wuyingai.cn-shanghai.aliyuncs.com", "https://wuyingai.cn-shanghai.aliyuncs.com/"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/"),
        ("https://proxy.example/agentbay/", "https://proxy.example/agentbay/"),
    ],
)
def test_endpoint_normalisation(endpoint: str, url: str) -> None:
    assert Config(endpoint=endpoint, timeout_ms=1000).base_url == url


def test_from_env_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("agentbay._config.find_env_file", lambda start=None: None)
    cfg = Config.from_env()
    assert (cfg.endpoint, cfg.timeout_ms, cfg.region_id, cfg.max_retries) == (None, None, None, 3)
    resolved = cfg.resolved()
    assert (resolved.endpoint, resolved.timeout_ms, resolved.region_id) == (
        "agentbay.cn-hangzhou.aliyuncs.com",
        60000,
        "cn-hangzhou",
    )


def test_from_env_reads_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTBAY_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AGENTBAY_TIMEOUT_MS", "1500")
    cfg = Config.from_env()
    assert (cfg.base_url, cfg.timeout_ms, cfg.region_id) == ("http://127.0.0.1:9/", 1500, None)
    monkeypatch.setenv("AGENTBAY_REGION_ID", "us-east-1")  # the region wins over the endpoint
    cfg = Config.from_env()
    assert (cfg.base_url, cfg.region_id) == (
        "https://agentbay.us-east-1.aliyuncs.com/",
        "us-east-1",
    )


def test_bad_timeout_env_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTBAY_TIMEOUT_MS", "soon")
    with pytest.raises(AgentBayError, match="AGENTBAY_TIMEOUT_MS"):
        Config.from_env()


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout_ms": 0}, {"timeout_ms": -5}, {"max_retries": -1}, {"max_connections": 0}],
)
def test_config_refuses_bad_numbers(kwargs: dict[str, int]) -> None:
    values = {"endpoint": "h", "timeout_ms": 1000, **kwargs}
    with pytest.raises(AgentBayError, match=next(iter(kwargs))):
        Config(**values)  # type: ignore[arg-type]


def test_config_refuses_other_schemes() -> None:
    with pytest.raises(AgentBayError, match="http or https"):
        _ = Config(endpoint="ftp://host", timeout_ms=1000).base_url
    with pytest.raises(AgentBayError, match="must be a string"):
        Config(endpoint=8765)  # type: ignore[arg-type]
    with pytest.raises(AgentBayError, match="must not be empty"):
        _ = Config(endpoint=" ").base_url


@pytest.mark.parametrize("client_class", CLIENTS)
def test_key_falls_back_to_the_environment(
    client_class: type[AgentBay], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AgentBayError, match="AGENTBAY_API_KEY"):
        client_class()
    monkeypatch.setenv("AGENTBAY_API_KEY", API_KEY)
    client = client_class()
    assert client.api_key == API_KEY
    assert API_KEY not in repr(client)


@pytest.mark.parametrize("client_class", CLIENTS)
def test_cfg_wins_over_the_environment(
    client_class: type[AgentBay], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBAY_ENDPOINT", "http://env.example")
    client = client_class(
        API_KEY, Config(endpoint="http://cfg.example", timeout_ms=1000, region_id="r")
    )
    assert client.config.base_url == "http://cfg.example/"
    assert client.region_id == "r"
    assert client_class(API_KEY).config.base_url == "http://env.example/"


def test_an_unknown_region_is_named_in_a_warning_with_the_known_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from agentbay._config import region_endpoint

    with caplog.at_level("WARNING", logger="agentbay"):
        assert region_endpoint("xx-north-9") == ("xx-north-9", "agentbay.xx-north-9.aliyuncs.com")
        assert region_endpoint("pre-xx-north-9") == (
            "xx-north-9",
            "agentbay-pre.xx-north-9.aliyuncs.com",
        )
        region_endpoint("cn-hangzhou")  # known: no warning
    assert caplog.messages == [
        "Unknown region 'xx-north-9': using agentbay.xx-north-9.aliyuncs.com"
        " (known: cn-hangzhou, ap-southeast-1, us-east-1)",
        "Unknown pre-release region 'pre-xx-north-9': using agentbay-pre.xx-north-9.aliyuncs.com"
        " (known: pre-cn-hangzhou, pre-ap-southeast-1)",
    ]


def test_a_missing_or_bad_key_says_how_to_give_one() -> None:
    from agentbay._config import resolve_api_key

    with pytest.raises(AgentBayError) as missing:
        resolve_api_key("")
    assert str(missing.value) == (
        "No API key: pass api_key=... or set the AGENTBAY_API_KEY environment variable"
    )
    for bad in ("key\r", "ke\ny", "\0key"):
        with pytest.raises(AgentBayError) as control:
            resolve_api_key(bad)
        assert str(control.value) == "The API key contains a control character"
    assert resolve_api_key("X key") == "X key"  # an X is no control character


def test_a_named_env_file_that_is_missing_is_said_and_the_nearest_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from agentbay._config import load_env_file

    (tmp_path / ".env").write_text("AGENTBAY_TEST_DOTENV=1234\nAGENTBAY_REGION_ID=us-east-1\n")
    monkeypatch.setenv("AGENTBAY_TEST_DOTENV", "")  # so that the test's end removes it
    monkeypatch.delenv("AGENTBAY_TEST_DOTENV")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTBAY_REGION_ID", "cn-hangzhou")  # already set: kept
    missing = tmp_path / "nowhere.env"
    with caplog.at_level("WARNING", logger="agentbay"):
        loaded = load_env_file(missing)
    assert loaded is not None and loaded.resolve() == (tmp_path / ".env").resolve()
    assert caplog.messages == [f"The .env file {missing} does not exist; looking for one upward"]
    assert os.environ["AGENTBAY_TEST_DOTENV"] == "1234"
    assert os.environ["AGENTBAY_REGION_ID"] == "cn-hangzhou"


def test_an_env_file_that_cannot_be_read_is_said_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from agentbay._config import load_env_file

    broken = tmp_path / "broken.env"
    broken.write_bytes(b"AGENTBAY_TEST_DOTENV=\xff\xfe\n")
    with caplog.at_level("WARNING", logger="agentbay"):
        assert load_env_file(broken) is None
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith(f"Cannot load the .env file {broken}: ")
    assert "codec can't decode" in caplog.messages[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timeout_ms": 0}, "Config.timeout_ms must be >= 1, got 0"),
        ({"timeout_ms": True}, "Config.timeout_ms must be an int, got True"),
        ({"timeout_ms": 1.5}, "Config.timeout_ms must be an int, got 1.5"),
        ({"max_retries": -1}, "Config.max_retries must be >= 0, got -1"),
        ({"max_retries": None}, "Config.max_retries must be an int, got None"),
        ({"max_connections": 0}, "Config.max_connections must be >= 1, got 0"),
        ({"verify_crc": 1}, "Config.verify_crc must be a bool, got 1"),
    ],
)
def test_a_bad_setting_is_named_with_what_it_must_be(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(AgentBayError) as raised:
        Config(**fields)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_the_lowest_allowed_settings_are_accepted() -> None:
    config = Config(timeout_ms=1, max_retries=0, max_connections=1, verify_crc=False)
    assert (config.timeout_ms, config.max_retries, config.max_connections) == (1, 0, 1)
    assert Config(timeout_ms=None).timeout_ms is None


def test_an_endpoint_beside_a_region_in_the_environment_is_said_to_be_ignored(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AGENTBAY_REGION_ID", "ap-southeast-1")
    monkeypatch.setenv("AGENTBAY_ENDPOINT", "http://127.0.0.1:9")
    with caplog.at_level("WARNING", logger="agentbay"):
        config = Config.from_env()
    assert config.endpoint is None and config.region_id == "ap-southeast-1"
    assert caplog.messages == [
        "AGENTBAY_ENDPOINT is ignored: AGENTBAY_REGION_ID='ap-southeast-1' names the endpoint"
    ]
