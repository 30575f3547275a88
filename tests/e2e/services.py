"""Real Redis and PostgreSQL on loopback, for the scale-out tests and bench/load.py.

Both come from Debian (``redis-server``, ``postgresql``; make test installs them: scripts/system_packages.sh), run in a fresh
temporary directory on a free 127.0.0.1 port, and are stopped and deleted afterwards:

    with running_redis() as redis, running_postgres() as pg:
        env = replica_env(redis, pg)           # REDIS_HOST, DB_HOST, ... for endpoints.production.yml
        pg.restart()                           # stop (fast) and start again on the same port
        pg.user_turns([stored_sender_id("alice")])   # {hashed id: ["hello", ...]}

Both ask for a password, as in production: Redis with ``--requirepass``, PostgreSQL with a
``rasa`` role (scram-sha-256 over TCP) owning the ``rasa`` database. The superuser is only
reachable over the Unix socket in the temporary directory. PostgreSQL refuses to run as root,
so when the tests run as root, initdb/pg_ctl run as the ``postgres`` system user (Debian's
package creates it) through ``runuser``, with the temporary directory handed to that user.

Pytest fixtures ``redis_server`` and ``postgres_server`` (session scope) wrap the same code;
import them into a test module to use them.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

class ServiceError(RuntimeError):
    """A service could not be started; the message says what to install or where the log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 2500) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


# --------------------------------------------------------------------------- Redis


@dataclass
class RedisServer:
    port: int
    password: str
    tmp: Path
    host: str = "127.0.0.1"
    db: int = 1
    proc: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.tmp / "redis.log"

    def start(self, timeout: float = 20) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceError("redis-server is not installed (apt-get install redis-server; make test does it: scripts/system_packages.sh)")
        cmd = [
            binary, "--port", str(self.port), "--bind", self.host, "--dir", str(self.tmp),
            "--save", "", "--appendonly", "no", "--requirepass", self.password,
            "--daemonize", "no", "--logfile", str(self.log_path),
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(f"redis-server exited with {self.proc.returncode}:\n{_tail(self.log_path)}")
            if self.ping():
                return self
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"redis-server did not answer within {timeout:.0f}s:\n{_tail(self.log_path)}")

    def command(self, *args: str, db: int | None = None) -> bytes:
        """One command over a fresh connection (RESP), in ``db`` if given; the raw reply."""
        def bulk(word: str) -> bytes:
            data = word.encode()
            return b"$%d\r\n%s\r\n" % (len(data), data)

        commands = [("AUTH", self.password), *([("SELECT", str(db))] if db is not None else []), args]
        with socket.create_connection((self.host, self.port), timeout=2) as sock:
            for cmd in commands:
                sock.sendall(b"*%d\r\n" % len(cmd) + b"".join(bulk(w) for w in cmd))
                reply = sock.recv(65536)
            return reply

    def ping(self) -> bool:
        try:
            return self.command("PING").startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    tmp = Path(tempfile.mkdtemp(prefix="kratom-redis-"))
    server = RedisServer(port=free_port(), password=secrets.token_hex(16), tmp=tmp)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL


def postgres_bin_dir() -> Path:
    """The newest Debian PostgreSQL server's bin/ (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise ServiceError("PostgreSQL's server binaries are missing (apt-get install postgresql; make test does it: scripts/system_packages.sh)")
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    port: int
    tmp: Path
    password: str
    host: str = "127.0.0.1"
    db: str = "rasa"
    user: str = "rasa"
    bin_dir: Path = field(default_factory=postgres_bin_dir)
    _as_user: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.tmp / "data"

    @property
    def socket_dir(self) -> Path:
        return self.tmp / "sock"

    @property
    def log_path(self) -> Path:
        return self.tmp / "postgres.log"

    def _run(self, *args: str, timeout: float = 120, input: str | None = None) -> str:
        cmd = [*self._as_user, *args]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
        if out.returncode != 0:
            raise ServiceError(f"{' '.join(args[:2])} failed ({out.returncode}): {out.stderr.strip()}\n{_tail(self.log_path)}")
        return out.stdout

    def init(self) -> "PostgresServer":
        if os.geteuid() == 0:
            # PostgreSQL will not run as root: hand the directory to Debian's postgres user.
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServiceError("running as root needs the 'postgres' system user (apt-get install postgresql)") from exc
            self._as_user = ["runuser", "-u", "postgres", "--"]
            self.socket_dir.mkdir(parents=True, exist_ok=True)
            for path in (self.tmp, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        else:
            self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
        )
        return self

    def backup(self, path: Path) -> Path:
        """DEPLOY.md's backup: ``pg_dump -Fc`` of the tracker database."""
        self._run(str(self.bin_dir / "pg_dump"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres",
                  "-Fc", "-f", str(path), self.db)
        return path

    def restore_into_empty(self, path: Path) -> None:
        """DEPLOY.md's restore: an empty database of the same name, then ``pg_restore``."""
        self.psql(f"DROP DATABASE {self.db} WITH (FORCE)", db="postgres")
        self.psql(f"CREATE DATABASE {self.db} OWNER {self.user}", db="postgres")
        self._run(str(self.bin_dir / "pg_restore"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres",
                  "-d", self.db, "--clean", "--if-exists", "--no-owner", "--role", self.user, str(path))

    def start(self, timeout: float = 60) -> "PostgresServer":
        options = (
            f"-c listen_addresses={self.host} -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_path),
            "-o", options, "-w", "-t", str(int(timeout)), "start", timeout=timeout + 10,
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop", timeout=60)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop PostgreSQL (fast: open connections are cut), wait ``down_for`` seconds, start it."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def psql(self, sql: str, db: str | None = None) -> str:
        """Run SQL as the superuser over the Unix socket; returns unaligned, tuples-only output."""
        out = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres",
             "-d", db or self.db, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql],
            capture_output=True, text=True, timeout=60,
        )
        if out.returncode != 0:
            raise ServiceError(f"psql failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def query_json(self, sql: str):
        """Run a query that returns one JSON value (e.g. ``select json_agg(...) from ...``)."""
        text = self.psql(sql)
        return json.loads(text) if text else None

    def create_app_role(self) -> "PostgresServer":
        self.psql(f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}'", db="postgres")
        self.psql(f"CREATE DATABASE {self.db} OWNER {self.user}", db="postgres")
        return self

    def user_turns(self, sender_ids: list[str]) -> dict[str, list[str]]:
        """The text of every user event stored for each sender id, in storage order."""
        quoted = ",".join("'" + sid.replace("'", "''") + "'" for sid in sender_ids) or "''"
        rows = self.query_json(
            "select coalesce(json_agg(json_build_array(sender_id, data::json->>'text') order by id), '[]') "
            f"from events where type_name = 'user' and sender_id in ({quoted})"
        )
        grouped: dict[str, list[str]] = {sid: [] for sid in sender_ids}
        for sid, text in rows or []:
            grouped[sid].append(text)
        return grouped


@contextlib.contextmanager
def running_postgres(port: int | None = None, password: str | None = None) -> Iterator[PostgresServer]:
    """A fresh PostgreSQL with an empty ``rasa`` database owned by the ``rasa`` role."""
    tmp = Path(tempfile.mkdtemp(prefix="kratom-pg-"))
    server = PostgresServer(port=port or free_port(), tmp=tmp, password=password or secrets.token_hex(16))
    try:
        server.init().start().create_app_role()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)


# One key for every replica of a run: the channels store sender ids as HMAC hashes keyed by
# SENDER_HASH_KEY (bot/privacy.py), so replicas with different keys would not share anything.
SENDER_HASH_KEY = secrets.token_hex(32)


def replica_env(redis: RedisServer, pg: PostgresServer, **overrides: str) -> dict[str, str]:
    """Environment for ``rasa run --endpoints endpoints.production.yml`` against these servers:
    the variables docker/compose.yml gives its rasa service, with local values."""
    env = {
        "REDIS_HOST": redis.host, "REDIS_PORT": str(redis.port), "REDIS_PASSWORD": redis.password,
        "REDIS_DB": str(redis.db),
        "DB_HOST": pg.host, "DB_PORT": str(pg.port), "DB_USER": pg.user, "DB_PASSWORD": pg.password,
        "DB_NAME": pg.db,
        "SENDER_HASH_KEY": SENDER_HASH_KEY,
        "SANIC_PROXIES_COUNT": "1",  # behind one proxy: the client address is its X-Forwarded-For
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    env.update(overrides)
    return env


def stored_sender_id(sender: str, key: str = SENDER_HASH_KEY) -> str:
    """The id the tracker store holds for ``sender``: the channels' keyed hash of it."""
    from bot import privacy

    return privacy.hash_sender(sender, key=key.encode())


# --------------------------------------------------------------------------- pytest fixtures


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        with running_redis() as server:
            yield server
    except ServiceError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except ServiceError as exc:
        pytest.fail(str(exc))
