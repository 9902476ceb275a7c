"""The database file, logs and what the services write are readable by their owner only."""

from __future__ import annotations

import stat
import sys

from sqlalchemy import text

from bot.devstack import spawn_logged
from bot.persistence.session import make_engine


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path):
    database = tmp_path / "var" / "collections.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("INSERT INTO t VALUES ('1985-03-21')"))
    with engine.connect() as connection:
        # While a connection is open the write-ahead log exists beside the file.
        connection.execute(text("SELECT * FROM t")).all()
        companions = [p for p in database.parent.iterdir() if p != database]
        assert companions
        for companion in companions:
            assert mode(companion) == 0o600, companion
    engine.dispose()
    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700


def test_an_existing_readable_database_is_made_private(tmp_path):
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o600


def test_service_logs_and_what_the_services_write_are_private(tmp_path):
    log = tmp_path / "var" / "log" / "api.log"
    written = tmp_path / "written-by-the-service.txt"
    script = f"open({str(written)!r}, 'w').write('x'); print('started')"
    process = spawn_logged([sys.executable, "-c", script], log_path=log, env={}, cwd=tmp_path)
    assert process.wait(timeout=30) == 0
    assert log.read_text().strip() == "started"
    assert mode(log) == 0o600
    assert mode(log.parent) == 0o700
    assert mode(written) == 0o600
