"""Offline bundles: round trip, and refusal of truncated, altered or foreign files."""

from __future__ import annotations

import gzip
import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from collector.bundle import BundleError, read_bundle, write_bundle
from sync import bundle as sync_bundle


def responses(n: int) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "survey_id": "s",
            "survey_version": 1,
            "area": "abbey",
            "method": "doorstep",
            "collected_at": "2024-05-01T10:00:00+01:00",
            "answers": {"text": f"<script>alert({i})</script> é"},
        }
        for i in range(n)
    ]


def lines_of(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def test_round_trip_keeps_order_and_content(tmp_path: Path) -> None:
    items = responses(25)
    manifest = write_bundle(items, tmp_path / "out.gz", device_id="dev-1")
    read_manifest, read_items = read_bundle(tmp_path / "out.gz")
    assert read_items == items
    assert read_manifest == manifest
    assert manifest["format"] == "doorstep-bundle" and manifest["version"] == 1
    assert manifest["count"] == 25 and manifest["device"] == "dev-1"


def test_empty_bundle_round_trips(tmp_path: Path) -> None:
    write_bundle([], tmp_path / "empty.gz")
    manifest, items = read_bundle(tmp_path / "empty.gz")
    assert manifest["count"] == 0 and items == []


def test_bundle_is_private_and_leaves_no_temp_file(tmp_path: Path) -> None:
    write_bundle(responses(2), tmp_path / "out.gz")
    assert stat.S_IMODE(os.stat(tmp_path / "out.gz").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.gz"]


def test_sync_bundle_is_the_same_format() -> None:
    assert sync_bundle.read_bundle is read_bundle and sync_bundle.BundleError is BundleError


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.gz"
    write_bundle(responses(50), path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(BundleError, match="not a complete"):
        read_bundle(path)


def test_missing_last_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.gz"
    write_bundle(responses(3), path)
    path.write_bytes(gzip.compress(b"".join(lines_of(path)[:-1])))
    with pytest.raises(BundleError, match="truncated"):
        read_bundle(path)


def test_altered_response_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.gz"
    write_bundle(responses(3), path)
    lines = lines_of(path)
    lines[2] = lines[2].replace(b"abbey", b"elm-park")
    path.write_bytes(gzip.compress(b"".join(lines)))
    with pytest.raises(BundleError, match="checksum"):
        read_bundle(path)


@pytest.mark.parametrize(
    "content",
    [
        b"just some text",
        gzip.compress(b'{"hello": "world"}\n'),
        gzip.compress(b"not json\n"),
        gzip.compress(json.dumps({"format": "doorstep-bundle", "version": 2}).encode()),
        gzip.compress(b""),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "foreign.gz"
    path.write_bytes(content)
    with pytest.raises(BundleError):
        read_bundle(path)


def test_missing_file_is_a_bundle_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no such file"):
        read_bundle(tmp_path / "nope.gz")


def test_rewrite_replaces_the_old_bundle_whole(tmp_path: Path) -> None:
    path = tmp_path / "out.gz"
    write_bundle(responses(5), path)
    write_bundle(responses(2), path)
    assert read_bundle(path)[0]["count"] == 2
