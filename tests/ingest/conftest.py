from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus, through REANIMATOR_CORPUS. Missing corpus is an error, not a skip:
    the parser tests are the proof that real hardware data parses."""
    path = Path(settings.REANIMATOR_CORPUS)
    if not (path / "INDEX.md").is_file():
        pytest.fail(f"REANIMATOR_CORPUS={path} does not hold the shared corpus (INDEX.md missing)")
    return path
