"""The production stack from the built images, on podman with host networking.

docker/compose.yml is the source of the settings: each container gets its service's
environment (interpolated with generated secrets, like docker/.env would), user, cap_drop,
security_opt and restart policy, and the compose host names (postgres, redis, actions) resolve
to 127.0.0.1 through --add-host, so the Rasa replicas read exactly compose's variables. What
host networking changes: every container shares the host's ports, so the two replicas listen
on two free ports (the image's CMD reads PORT, default 5005), nginx's upstream lists both, and
Redis, PostgreSQL and nginx listen on free loopback ports. The action server keeps the
image's port, 5055.

No registry of images is reachable on the build machines, so Redis, PostgreSQL and nginx run
from localhost/kratom-base/services (scripts/base_image.sh: Debian's redis-server 7.0,
PostgreSQL 15 and nginx 1.22) with compose's commands, instead of the public alpine images.

Everything started carries a per-run label and is removed by ``Stack.down()``, which the
fixture calls also on failure; ``python -m tests.images.stack down`` removes leftovers of
earlier runs (only containers with this module's label).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yml"
NGINX_CONF = REPO / "docker" / "nginx.conf"
STATIC = REPO / "bot" / "web" / "static"
LABEL = "kratom-assistant.test-images"
TAG = os.environ.get("IMAGE_TAG", "latest")
RASA_IMAGE = os.environ.get("RASA_IMAGE", f"localhost/kratom-assistant/rasa:{TAG}")
ACTIONS_IMAGE = os.environ.get("ACTIONS_IMAGE", f"localhost/kratom-assistant/actions:{TAG}")
SERVICES_IMAGE = os.environ.get("SERVICES_IMAGE", "localhost/kratom-base/services:bookworm")
ACTIONS_PORT = 5055  # the image's CMD and HEALTHCHECK
COMPOSE_HOSTS = ("postgres", "redis", "actions")


def podman_cmd() -> list[str]:
    """The podman command line `make` uses (PODMAN in the environment overrides it)."""
    if os.environ.get("PODMAN"):
        return shlex.split(os.environ["PODMAN"])
    return ["podman", "--storage-driver=vfs"]


def podman(*args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(REPO / "docker" / "podman-containers.conf"))
    out = subprocess.run([*podman_cmd(), *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and out.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])} ... failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, from ``env`` only."""
    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        got = env.get(name, "")
        if got:
            return got
        if op == "?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == "-" else ""
    return _REF.sub(one, str(value))


def http(url: str, payload: dict | None = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body); redirects are not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class Stack:
    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.secrets = {
            "DB_PASSWORD": secrets.token_hex(16),
            "REDIS_PASSWORD": secrets.token_hex(16),
            "SENDER_HASH_KEY": secrets.token_hex(32),
        }
        self.env = {**self.secrets, "LOG_LEVEL": "INFO"}
        self.compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
        self.ports = {"rasa-1": free_port(), "rasa-2": free_port(), "redis": free_port(),
                      "postgres": free_port(), "proxy": free_port()}
        self.tmp = Path(tempfile.mkdtemp(prefix="kratom-images-"))
        self.names: list[str] = []

    # ------------------------------------------------------------------ helpers

    def name(self, service: str) -> str:
        return f"kratom-it-{self.run_id}-{service}"

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['proxy']}"

    def replica_url(self, replica: str) -> str:
        return f"http://127.0.0.1:{self.ports[replica]}"

    def service_env(self, service: str) -> dict[str, str]:
        raw = self.compose[service].get("environment") or {}
        return {key: interpolate(value, self.env) for key, value in raw.items()}

    def hardening(self, service: str) -> list[str]:
        spec = self.compose[service]
        args = [f"--restart={spec.get('restart', 'no')}"]
        args += [f"--cap-drop={cap}" for cap in spec.get("cap_drop", [])]
        args += [f"--security-opt={opt.replace(':true', '')}" for opt in spec.get("security_opt", [])]
        if spec.get("user"):
            args.append(f"--user={spec['user']}")
        return args

    def run(self, service: str, name: str, image: str, env: dict[str, str], *extra: str, command: list[str] = ()) -> None:
        args = ["run", "-d", "--name", name, "--label", f"{LABEL}={self.run_id}", "--network=host",
                *[f"--add-host={host}:127.0.0.1" for host in COMPOSE_HOSTS],
                *self.hardening(service), *extra]
        env_file = self.tmp / f"{name}.env"  # secrets through a file, not podman's argv
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
        env_file.chmod(0o600)
        args += ["--env-file", str(env_file), image, *command]
        self.names.append(name)
        podman(*args)

    def logs(self, name: str, lines: int = 60) -> str:
        out = podman("logs", "--tail", str(lines), name, check=False)
        return (out.stdout + out.stderr)[-6000:]

    def wait_http(self, url: str, name: str, timeout: float = 300, want: int = 200) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            state = podman("inspect", "--format", "{{.State.Status}}", name, check=False).stdout.strip()
            if state in ("exited", "stopped"):
                raise RuntimeError(f"{name} exited:\n{self.logs(name)}")
            try:
                status, _, body = http(url, timeout=10)
                if status == want:
                    return
                last = f"{status} {body[:300]!r}"
            except OSError as err:
                last = str(err)
            time.sleep(2)
        raise RuntimeError(f"{url} did not answer {want} within {timeout:.0f}s (last: {last}):\n{self.logs(name)}")

    def healthcheck(self, name: str) -> subprocess.CompletedProcess:
        """The image's (or compose's) HEALTHCHECK, run once now."""
        return podman("healthcheck", "run", name, check=False, timeout=60)

    # ------------------------------------------------------------------ services

    def start_redis(self) -> None:
        # compose's command, with the port and address host networking needs.
        script = ("printf 'requirepass %s\\nsave \"\"\\nappendonly no\\nport {port}\\nbind 127.0.0.1\\n' "
                  "\"$REDIS_PASSWORD\" | exec redis-server -").format(port=self.ports["redis"])
        self.run("redis", self.name("redis"), SERVICES_IMAGE, self.service_env("redis"), command=["sh", "-c", script])

    def start_postgres(self) -> None:
        # What the postgres image's entry point does on a first start: a cluster, the user
        # with its password (scram-sha-256 over TCP) and the database.
        port = self.ports["postgres"]
        script = f"""set -e
export PGDATA=/tmp/pgdata
pwfile=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
initdb -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
rm -f "$pwfile"
pg_ctl -w -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start >/dev/null
createdb -h /tmp -U "$POSTGRES_USER" -O "$POSTGRES_USER" "$POSTGRES_DB"
pg_ctl -w stop >/dev/null
exec postgres -c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories=/tmp
"""
        self.run("postgres", self.name("postgres"), SERVICES_IMAGE, self.service_env("postgres"),
                 command=["sh", "-c", script])

    def start_actions(self) -> None:
        self.run("actions", self.name("actions"), ACTIONS_IMAGE, self.service_env("actions"))

    def start_replica(self, replica: str) -> None:
        env = {**self.service_env("rasa"), "PORT": str(self.ports[replica])}
        env["DB_PORT"], env["REDIS_PORT"] = str(self.ports["postgres"]), str(self.ports["redis"])
        self.run("rasa", self.name(replica), RASA_IMAGE, env)

    def start_proxy(self) -> None:
        conf = NGINX_CONF.read_text(encoding="utf-8")
        servers = "".join(f"server 127.0.0.1:{self.ports[r]} max_fails=2 fail_timeout=10s;\n        "
                          for r in ("rasa-1", "rasa-2"))
        conf, n_up = re.subn(r"server rasa:5005 max_fails=2 fail_timeout=10s;\n\s*", servers, conf)
        conf, n_listen = re.subn(r"listen 8080;", f"listen 127.0.0.1:{self.ports['proxy']};", conf)
        assert n_up == 1 and n_listen == 1, "docker/nginx.conf changed: update tests/images/stack.py"
        path = self.tmp / "nginx.conf"
        path.write_text(conf, encoding="utf-8")
        path.chmod(0o644)
        self.tmp.chmod(0o755)
        self.run("proxy", self.name("proxy"), SERVICES_IMAGE, {},
                 f"--volume={path}:/etc/nginx/nginx.conf:ro", f"--volume={STATIC}:/usr/share/nginx/html:ro",
                 command=["nginx", "-e", "/dev/stderr", "-g", "daemon off;"])

    def stop(self, replica: str) -> None:
        podman("stop", "-t", "10", self.name(replica))

    def start(self, replica: str) -> None:
        podman("start", self.name(replica))

    def restart(self, replica: str) -> None:
        """Stop (SIGTERM, as `docker compose restart`), start, and wait until it answers."""
        podman("restart", "-t", "10", self.name(replica))
        self.wait_http(f"{self.replica_url(replica)}/webhooks/health/", self.name(replica))

    def psql(self, sql: str) -> str:
        env = self.service_env("postgres")
        out = podman("exec", self.name("postgres"), "psql", "-h", "/tmp", "-p", str(self.ports["postgres"]),
                     "-U", env["POSTGRES_USER"], "-d",
                     env["POSTGRES_DB"], "-At", "-c", sql)
        return out.stdout.strip()

    # ------------------------------------------------------------------ lifecycle

    def up(self) -> "Stack":
        if not port_is_free(ACTIONS_PORT):
            raise RuntimeError(f"port {ACTIONS_PORT} is taken on this host: the action server's image listens there")
        for image in (RASA_IMAGE, ACTIONS_IMAGE, SERVICES_IMAGE):
            if podman("image", "exists", image, check=False).returncode != 0:
                raise RuntimeError(f"image {image} is missing: run `make images`")
        self.start_redis()
        self.start_postgres()
        self.start_actions()
        deadline = time.monotonic() + 60
        while podman("exec", self.name("postgres"), "pg_isready", "-q", "-h", "127.0.0.1", "-p",
                     str(self.ports["postgres"]), check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start:\n{self.logs(self.name('postgres'))}")
            time.sleep(1)
        # compose: the replicas start once PostgreSQL and Redis are healthy.
        self.start_replica("rasa-1")
        self.start_replica("rasa-2")
        self.start_proxy()
        self.wait_http(f"http://127.0.0.1:{ACTIONS_PORT}/health", self.name("actions"))
        for replica in ("rasa-1", "rasa-2"):
            self.wait_http(f"{self.replica_url(replica)}/webhooks/health/", self.name(replica))
        self.wait_http(f"{self.proxy_url}/healthz", self.name("proxy"), timeout=30)
        return self

    def down(self) -> None:
        if self.names:
            podman("rm", "-f", "-t", "5", *reversed(self.names), check=False, timeout=120)
        self.names = []
        for path in self.tmp.glob("*"):
            path.unlink(missing_ok=True)
        self.tmp.rmdir() if self.tmp.exists() else None


def remove_leftovers() -> None:
    """Containers of earlier runs (this module's label only)."""
    out = podman("ps", "-a", "-q", "--filter", f"label={LABEL}", check=False)
    ids = out.stdout.split()
    if ids:
        podman("rm", "-f", "-t", "5", *ids, check=False, timeout=120)
    print(f"removed {len(ids)} container(s)")


if __name__ == "__main__":
    if sys.argv[1:] == ["down"]:
        remove_leftovers()
    else:
        sys.exit("usage: python -m tests.images.stack down")
