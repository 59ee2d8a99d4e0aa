"""The organization's fingerprint key: processing-method-like secret information, held by delivery only.

It is read from the file named by ``SAKUSEI_FINGERPRINT_KEY_FILE`` (every replica of delivery must
share it: a copy can be traced only with the key it was marked with). Without it, a development key
is generated once into the service's state directory. The key is never logged, never delivered.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE_ENV = "SAKUSEI_FINGERPRINT_KEY_FILE"
MIN_KEY_BYTES = 32


def load_fingerprint_key(state_dir: Path, env: dict[str, str] | None = None) -> bytes:
    env = dict(os.environ if env is None else env)
    if env.get(KEY_FILE_ENV):
        path = Path(env[KEY_FILE_ENV])
        if not path.is_file():
            raise SystemExit(f"{KEY_FILE_ENV}: no such file")
    else:
        path = Path(state_dir) / "fingerprint.key"
        _generate_once(path)
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise SystemExit(f"{KEY_FILE_ENV}: the fingerprint key must be at least {MIN_KEY_BYTES} bytes")
    return key


def _generate_once(path: Path) -> None:
    """Writes a random development key, readable by the owner only, unless one exists already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(MIN_KEY_BYTES))
