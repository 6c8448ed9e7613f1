"""The ``agentbay`` command says, in one line, when another distribution (the official SDK)
installs the ``agentbay`` package in the same environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentbay import cli
from agentbay._installed import other_owners, shared_package_warning


def _fake_distribution(site: Path, name: str, version: str, files: list[str]) -> None:
    """A distribution's metadata, as pip leaves it, without its files."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    record = [f"{path},sha256=x,1" for path in files] + [f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    _fake_distribution(tmp_path, "agentbay-contexts", "0.1.0", ["agentbay/__init__.py"])
    _fake_distribution(tmp_path, "agentbay-emulator", "0.1.0", ["agentbay_emulator/app.py"])
    _fake_distribution(tmp_path, "other", "1.0", ["agentbay_tools/__init__.py", "other.py"])
    return tmp_path


def test_ours_alone_is_no_warning(site: Path) -> None:
    assert other_owners([str(site)]) == []
    assert shared_package_warning([str(site)]) is None


def test_the_official_sdk_beside_ours_is_one_line(site: Path) -> None:
    _fake_distribution(
        site, "wuying-agentbay-sdk", "0.22.3", ["agentbay/__init__.py", "agentbay/_sync/context.py"]
    )
    assert other_owners([str(site)]) == ["wuying-agentbay-sdk 0.22.3"]
    warning = shared_package_warning([str(site)])
    assert warning is not None and "\n" not in warning
    assert warning.startswith("agentbay: warning: wuying-agentbay-sdk 0.22.3 also installs")
    assert "one environment per agentbay distribution" in warning
    assert "pip uninstall wuying-agentbay-sdk agentbay-contexts" in warning


def test_an_older_install_is_found_by_its_top_level(site: Path) -> None:
    info = site / "legacy-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: legacy\nVersion: 2.0\n")
    (info / "top_level.txt").write_text("agentbay\n")
    assert other_owners([str(site)]) == ["legacy 2.0"]


def test_the_command_prints_it_first(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_distribution(site, "wuying-agentbay-sdk", "0.22.3", ["agentbay/__init__.py"])
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    assert "agentbay, version" in out
    assert err.count("\n") == 1 and err.startswith("agentbay: warning: wuying-agentbay-sdk 0.22.3")


def test_the_command_in_an_environment_of_its_own_says_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().err == ""


def test_the_warning_names_every_other_owner_and_what_to_do(site: Path) -> None:
    _fake_distribution(site, "wuying-agentbay-sdk", "0.22.3", ["agentbay/__init__.py"])
    _fake_distribution(site, "agentbay", "0.0.1", ["agentbay/__main__.py"])
    _fake_distribution(site, "Agentbay_Contexts", "0.0.9", ["agentbay/x.py"])  # ours, renamed
    assert shared_package_warning([str(site)]) == (
        "agentbay: warning: agentbay 0.0.1, wuying-agentbay-sdk 0.22.3 also installs the agentbay"
        " package here, so `import agentbay` may load its files instead of agentbay-contexts's;"
        " use one environment per agentbay distribution (pip uninstall agentbay"
        " wuying-agentbay-sdk agentbay-contexts, then install one; agentbay-emulator installs"
        " beside either)"
    )


def test_a_distribution_without_a_name_is_no_owner(site: Path) -> None:
    info = site / "nameless-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nVersion: 1.0\n")
    (info / "RECORD").write_text("agentbay/__init__.py,sha256=x,1\n")
    assert other_owners([str(site)]) == []
