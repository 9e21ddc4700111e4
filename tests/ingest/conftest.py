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


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Receive raw bundle bytes the way the API does; the parse task, enqueued on commit,
    runs eagerly in-process (no broker in tests unless a test starts a worker)."""
    from ingest.models import LogBundle
    from ingest.services.intake import receive_bundle

    def _ingest(raw: bytes, **kwargs: object) -> LogBundle:
        with django_capture_on_commit_callbacks(execute=True):
            receipt = receive_bundle(raw, **kwargs)
        receipt.bundle.refresh_from_db()
        return receipt.bundle

    return _ingest


@pytest.fixture(autouse=True)
def _private_media_root(tmp_path_factory: pytest.TempPathFactory, settings) -> None:
    """Raw bundles of a test go to a throwaway folder, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
