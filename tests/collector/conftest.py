"""Fixtures of the collector tests: the interpreters it runs under, fake tools, the corpus."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.collector.fakes import FakeTools


def _version(python: str) -> tuple[int, int, int]:
    out = subprocess.run(
        [python, "-I", "-S", "-c", "import sys; print('%d %d %d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    major, minor, micro = (int(part) for part in out.split())
    return major, minor, micro


def _interpreters() -> dict[str, str]:
    """The project's Python, and the oldest python3.N this machine has in /usr/bin (what a
    server's distribution would ship); the same one twice is tested once."""
    found = {"project": sys.executable}
    system = [str(p) for p in Path("/usr/bin").glob("python3*") if re.fullmatch(r"python3(\.\d+)?", p.name)]
    if system:
        oldest = min(system, key=_version)
        if _version(oldest) != _version(sys.executable) or Path(oldest).resolve() != Path(sys.executable).resolve():
            found["oldest-system"] = oldest
    return found


INTERPRETERS = _interpreters()


@pytest.fixture(params=sorted(INTERPRETERS), ids=lambda key: f"{key}-{'.'.join(map(str, _version(INTERPRETERS[key])))}")
def python(request: pytest.FixtureRequest) -> str:
    return INTERPRETERS[request.param]


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = Path(settings.REANIMATOR_CORPUS)
    if not (path / "INDEX.md").is_file():
        pytest.fail(f"REANIMATOR_CORPUS={path} does not hold the shared corpus (INDEX.md missing)")
    return path


@pytest.fixture
def tools(tmp_path: Path, corpus: Path) -> FakeTools:
    return FakeTools(tmp_path / "bin", corpus)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture(autouse=True)
def _private_media_root(tmp_path_factory: pytest.TempPathFactory, settings) -> None:
    """Raw bundles of a test go to a throwaway folder, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
