"""The fingerprint key: from a configured file, or a development key generated once, owner-only."""
from __future__ import annotations

import pytest

from services.delivery.keys import KEY_FILE_ENV, load_fingerprint_key


def test_a_development_key_is_generated_once_and_kept_private(tmp_path):
    first = load_fingerprint_key(tmp_path, env={})
    assert len(first) == 32 and load_fingerprint_key(tmp_path, env={}) == first
    assert (tmp_path / "fingerprint.key").stat().st_mode & 0o777 == 0o600


def test_a_configured_key_file_wins(tmp_path):
    path = tmp_path / "org.key"
    path.write_bytes(b"k" * 48)
    assert load_fingerprint_key(tmp_path / "state", env={KEY_FILE_ENV: str(path)}) == b"k" * 48
    assert not (tmp_path / "state" / "fingerprint.key").exists()


@pytest.mark.parametrize("content", [None, b"short"])
def test_a_missing_or_short_configured_key_stops_the_service(tmp_path, content):
    path = tmp_path / "org.key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit, match=KEY_FILE_ENV):
        load_fingerprint_key(tmp_path, env={KEY_FILE_ENV: str(path)})
