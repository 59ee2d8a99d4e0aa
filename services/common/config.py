"""Settings of a service process, read from the environment when asked for (never at import)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORTS = {"intake": 50051, "review": 50052, "transform": 50053, "delivery": 50054}


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    secure: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything a service needs to reach its infrastructure; empty values mean "embedded"."""

    kafka_bootstrap: str = ""
    s3: S3Settings | None = None
    dask_scheduler: str = ""
    state_dir: Path = Path(".local/state")
    database_url: str = ""
    token_public_key: Path | None = None
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    consumer_group_prefix: str = ""
    new_groups_at_end: bool = False

    @classmethod
    def from_env(cls, service: str, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        s3 = None
        if env.get("SAKUSEI_S3_ENDPOINT"):
            s3 = S3Settings(
                endpoint=env["SAKUSEI_S3_ENDPOINT"],
                access_key=env.get("SAKUSEI_S3_ACCESS_KEY", ""),
                secret_key=env.get("SAKUSEI_S3_SECRET_KEY", ""),
                secure=env.get("SAKUSEI_S3_SECURE", "false").lower() == "true",
            )
        key = env.get("SAKUSEI_TOKEN_PUBLIC_KEY")
        return cls(
            kafka_bootstrap=env.get("SAKUSEI_KAFKA_BOOTSTRAP", ""),
            s3=s3,
            dask_scheduler=env.get("SAKUSEI_DASK_SCHEDULER", ""),
            state_dir=Path(env.get("SAKUSEI_STATE_DIR", ".local/state")) / service,
            database_url=env.get("DATABASE_URL", ""),
            token_public_key=Path(key) if key else None,
            grpc_host=env.get("SAKUSEI_GRPC_HOST", "127.0.0.1"),
            grpc_port=int(env.get("SAKUSEI_GRPC_PORT", DEFAULT_PORTS.get(service, 0))),
            consumer_group_prefix=env.get("SAKUSEI_CONSUMER_GROUP_PREFIX", ""),
            new_groups_at_end=env.get("SAKUSEI_KAFKA_NEW_GROUPS_AT_END", "false").lower() == "true",
        )
