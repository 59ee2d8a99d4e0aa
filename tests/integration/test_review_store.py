"""Review's store and migrations on SQLite and on a real PostgreSQL.

The PostgreSQL cases take the ``postgres`` fixture: the cluster deploy/local/postgres.sh starts
(its URL in $SAKUSEI_LOCAL_DIR/postgres/postgres.env, or SAKUSEI_POSTGRES_URL). Without one they
skip, unless SAKUSEI_REQUIRE_INFRA=1, where a missing cluster is a failure.
"""
from __future__ import annotations

import os
import shlex
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from services.common.db import make_engine
from services.common.errors import FailedPrecondition
from services.common.outbox import outbox_table
from services.review import migrations, store
from services.review.domain.registers import Item, RegisteredFile
from services.review.domain.screening import CONTRACT_CANCELLED
from services.review.domain.windows import Window
from tests.conftest import REPO

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _postgres_url() -> str:
    url = os.environ.get("SAKUSEI_POSTGRES_URL", "")
    path = Path(os.environ.get("SAKUSEI_LOCAL_DIR", REPO / ".local")) / "postgres" / "postgres.env"
    if not url and path.is_file():
        for word in shlex.split(path.read_text()):
            if word.startswith("SAKUSEI_POSTGRES_URL="):
                url = word.partition("=")[2]
    return url


@pytest.fixture(scope="session")
def postgres() -> str:
    """The URL of a fresh database on the local cluster, dropped at the end of the session."""
    url = _postgres_url()
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT") if url else None
        if admin is not None:
            admin.connect().close()
    except OperationalError:
        admin = None
    if admin is None:
        if os.environ.get("SAKUSEI_REQUIRE_INFRA") == "1":
            pytest.fail("PostgreSQL is not running: start it with deploy/local/postgres.sh start")
        pytest.skip("PostgreSQL is not running (deploy/local/postgres.sh start starts it)")
    name = f"review_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        made = make_engine(tmp_path, "review")
    else:
        made = create_engine(request.getfixturevalue("postgres"))
        with made.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    yield made
    made.dispose()


def test_migrations_build_the_schema_the_store_declares(engine):
    migrations.upgrade(engine)
    migrations.upgrade(engine)
    assert migrations.current(engine) == "0002"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), store.metadata) == []


def test_a_database_from_before_migrations_keeps_its_contracts(engine):
    from sqlalchemy import MetaData

    spine = MetaData()
    contracts = store.contracts.to_metadata(spine)
    outbox_table(spine)
    spine.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(contracts).values(contract_id="c1", client_request_id="r1", business_id="acme",
                                              concluded_at=NOW, contract=b"x"))
    migrations.upgrade(engine)
    assert migrations.current(engine) == "0002" and "proposals" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert store.get(conn, "c1") == b"x"


@pytest.fixture
def migrated(engine):
    migrations.upgrade(engine)
    return engine


def test_a_proposal_changed_meanwhile_is_not_overwritten(migrated):
    with migrated.begin() as conn:
        store.insert_proposal(conn, "p1", "acme", "req-1", "UNDER_REVIEW", NOW, b"v1")
    with migrated.begin() as conn:
        store.update_proposal(conn, "p1", 1, "AWAITING_CORRECTION", b"v2")
    with pytest.raises(FailedPrecondition):
        with migrated.begin() as conn:
            store.update_proposal(conn, "p1", 1, "APPROVED", b"stale")
    with migrated.connect() as conn:
        assert store.get_proposal(conn, "p1") == (b"v2", 2)
        assert store.list_proposals(conn, "acme", "AWAITING_CORRECTION") == [b"v2"]
        assert store.list_proposals(conn, "other", None) == []


def test_one_proposal_per_business_and_client_request_id(migrated):
    with migrated.begin() as conn:
        store.insert_proposal(conn, "p1", "acme", "req-1", "UNDER_REVIEW", NOW, b"v1")
        store.insert_proposal(conn, "p2", "other", "req-1", "UNDER_REVIEW", NOW, b"v1")
    with pytest.raises(IntegrityError):
        with migrated.begin() as conn:
            store.insert_proposal(conn, "p3", "acme", "req-1", "UNDER_REVIEW", NOW, b"v1")
    with migrated.connect() as conn:
        assert store.find_proposal(conn, "acme", "req-1") == (b"v1", 1)


def test_read_models_are_idempotent_and_order_independent(migrated):
    entry = RegisteredFile("f1", "131016", "国保", "管理", (Item("性別", "CODE", "QUASI_IDENTIFIER"),), 400, True)
    with migrated.begin() as conn:
        store.upsert_file(conn, entry)
        store.upsert_file(conn, entry)
        store.upsert_file(conn, RegisteredFile(**{**entry.__dict__, "file_id": "f2", "proposals_invited": False}))
        store.request_seen(conn, "r1", "131016", is_open=False)  # the extract arrives before the request
        store.request_seen(conn, "r1", "131016", is_open=True)
        store.request_seen(conn, "r2", "131016", is_open=True)
        store.request_seen(conn, "r2", "131016", is_open=True)
        store.add_dataset(conn, "d1", "c1", 1200)
        store.add_dataset(conn, "d1", "c1", 1200)
    with migrated.connect() as conn:
        assert store.files_by_id(conn, ["f1"]) == {"f1": entry}
        assert [f.file_id for f in store.invited_files(conn)] == ["f1"]
        assert store.open_request_counts(conn, ["131016", "011002"]) == {"131016": 1}
        assert store.dataset_exists(conn, "d1") and not store.dataset_exists(conn, "d2")


def test_times_come_back_in_utc(migrated):
    window = Window("w1", "募集", NOW - timedelta(days=1), NOW, NOW + timedelta(days=30))
    with migrated.begin() as conn:
        store.insert_window(conn, window, "req-w")
        store.insert_disqualification(conn, disqualification_id="d1", client_request_id="req-d", business_id="acme",
                                      kind=CONTRACT_CANCELLED, since=NOW, until=None, note="")
    with migrated.connect() as conn:
        assert store.list_windows(conn, 2026, 2026) == [window] == [store.find_window(conn, "req-w")]
        assert store.list_windows(conn, 2027, 2028) == []
        assert store.disqualified(conn, "acme")[0].since == NOW


def test_the_review_service_runs_on_postgresql_when_database_url_says_so(postgres, keys, issuer, tmp_path):
    from services.cli.clients import PlatformClient, actor_token
    from services.cli.scenario import open_window
    from services.common.artifacts.local import LocalStore
    from services.common.bus.embedded import EmbeddedBus
    from services.common.config import Settings
    from services.common.identity import TokenVerifier
    from services.common.runtime import Runtime
    from services.review.app import ReviewApp

    reset = create_engine(postgres)
    with reset.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    reset.dispose()
    settings = Settings(state_dir=tmp_path / "state", database_url=postgres, token_public_key=keys[1])
    app = ReviewApp(Runtime(settings, EmbeddedBus(), LocalStore(tmp_path / "artifacts"),
                            TokenVerifier.from_pem(keys[1])))
    app.start(host="127.0.0.1", port=0)
    operator = PlatformClient({"review": f"127.0.0.1:{app.port}"}, actor_token(issuer, "operator"))
    try:
        window = open_window(operator, "pg").window
        assert app.engine.dialect.name == "postgresql" and migrations.current(app.engine) == "0002"
        assert [w.window_id for w in operator.windows().windows] == [window.window_id]
    finally:
        operator.close()
        app.stop()
