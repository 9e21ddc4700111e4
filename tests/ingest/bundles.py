"""Building log bundles in tests: tar.gz/zip archives of real corpus files with a manifest,
and small bundles in the project's own inventory format for history scenarios."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000  # fixed, so the same members always give the same bytes
            archive.addfile(info, io.BytesIO(data))
    # gzip headers carry a timestamp too: rewrite it for byte-stable bundles
    raw = buffer.getvalue()
    return raw[:4] + b"\x00\x00\x00\x00" + raw[8:]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(members.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def manifest(collected_at: str, *, hostname: str = "", asset: dict[str, str] | None = None) -> bytes:
    doc: dict[str, Any] = {
        "collected_at": collected_at,
        "hostname": hostname,
        "collector": {"name": "tests", "version": "1"},
    }
    if asset:
        doc["asset"] = asset
    return json.dumps(doc).encode()


def corpus_bundle(corpus: Path, files: dict[str, str], *, collected_at: str, **manifest_args: Any) -> bytes:
    """A tar.gz of corpus files (bundle path -> corpus-relative path) plus manifest.json."""
    members = {name: (corpus / source).read_bytes() for name, source in files.items()}
    members["manifest.json"] = manifest(collected_at, **manifest_args)
    return tar_gz(members)


def corpus_tree_bundle(root: Path, *, prefix: str, collected_at: str, **manifest_args: Any) -> bytes:
    """A tar.gz of a whole directory tree (a Redfish mockup) under `prefix`, plus manifest.json."""
    members = {
        f"{prefix}/{path.relative_to(root).as_posix()}": path.read_bytes() for path in root.rglob("*") if path.is_file()
    }
    members["manifest.json"] = manifest(collected_at, **manifest_args)
    return tar_gz(members)


def part(component_class: str, serial: str, *, slot: str = "", vendor: str = "ACME", **extra: Any) -> dict[str, Any]:
    return {"class": component_class, "serial": serial, "slot": slot or serial, "vendor": vendor, **extra}


def inventory(
    serial: str,
    collected_at: datetime | str,
    parts: list[dict[str, Any]],
    *,
    firmware: dict[str, str] | None = None,
    hostname: str = "",
    **asset: str,
) -> bytes:
    """A single-JSON bundle in the project's own inventory format (version 1)."""
    when = collected_at.isoformat() if isinstance(collected_at, datetime) else collected_at
    doc = {
        "format": "reanimator-inventory",
        "version": 1,
        "collected_at": when,
        "hostname": hostname,
        "collector": {"name": "tests", "version": "1"},
        "asset": {"vendor": "ACME", "model": "Box 1", "serial": serial, "firmware": firmware or {}, **asset},
        "components": parts,
    }
    return json.dumps(doc, sort_keys=True).encode()
