from tests.ingest.conftest import _private_media_root, ingest  # noqa: F401  (same fixtures here)
