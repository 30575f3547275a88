"""The production files: docker/compose.yml is valid, hardened, holds no secret, and gives the
Rasa replicas exactly the variables endpoints.production.yml reads (and tests/e2e/test_scale.py
sets). No Docker engine is needed: `docker-compose config` (Debian's docker-compose) only
parses and interpolates.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tests.e2e.services import replica_env

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yml"
ENV_EXAMPLE = DOCKER / "env.example"
ENDPOINTS = REPO / "bot" / "rasa_project" / "endpoints.production.yml"
CREDENTIALS = REPO / "bot" / "rasa_project" / "credentials.production.yml"

SECRETS = ("DB_PASSWORD", "REDIS_PASSWORD", "SENDER_HASH_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
REQUIRED_SECRETS = ("DB_PASSWORD", "REDIS_PASSWORD", "SENDER_HASH_KEY")
DUMMY = {name: f"dummy-{name.lower()}-0123456789" for name in SECRETS}
ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)")


def compose_config(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed: `apt-get install -y docker-compose` (scripts/system_packages.sh, run by make test, installs it)")
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update(extra_env)
    return subprocess.run(
        [binary, "--project-directory", str(DOCKER), "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), "config"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
    )


@pytest.fixture(scope="module")
def config() -> dict:
    out = compose_config(DUMMY)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def dockerfile_lines(service: dict) -> list[str]:
    build = service.get("build")
    if not build:
        return []
    path = Path(build["context"]) / build.get("dockerfile", "Dockerfile")
    return path.read_text(encoding="utf-8").splitlines()


def dockerfile_user(lines: list[str]) -> str | None:
    users = [line.split(None, 1)[1].strip() for line in lines if line.startswith("USER ")]
    return users[-1] if users else None


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def endpoint_variables() -> set[str]:
    """Every ${VAR} in the values of endpoints.production.yml (not in its comments)."""
    def walk(node) -> list[str]:
        if isinstance(node, dict):
            return [v for child in node.values() for v in walk(child)]
        return ENV_REF.findall(node) if isinstance(node, str) else []

    return set(walk(yaml.safe_load(ENDPOINTS.read_text(encoding="utf-8"))))


def test_compose_is_valid_and_has_the_expected_services(config):
    services = config["services"]
    assert set(services) == {"rasa", "actions", "redis", "postgres", "proxy"}
    assert services["rasa"]["deploy"]["replicas"] == 2
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"proxy"}, "only the proxy may publish a port (the action server has no auth)"
    assert "pgdata" in config["volumes"]
    assert any(str(v).startswith("pgdata:") or (isinstance(v, dict) and v.get("source") == "pgdata")
               for v in services["postgres"]["volumes"])
    assert config["networks"]["backend"].get("internal") is True


def test_missing_secrets_stop_compose_with_their_name():
    out = compose_config({})
    assert out.returncode != 0
    assert any(name in out.stderr for name in REQUIRED_SECRETS), out.stderr


@pytest.mark.parametrize("name", ["rasa", "actions", "redis", "postgres", "proxy"])
def test_every_service_has_a_healthcheck_and_runs_as_non_root(config, name):
    service = config["services"][name]
    lines = dockerfile_lines(service)
    check = service.get("healthcheck") or {}
    has_check = bool(check.get("test")) and not check.get("disable")
    assert has_check or any(line.startswith("HEALTHCHECK ") for line in lines), f"{name} has no healthcheck"
    user = str(service.get("user") or dockerfile_user(lines) or "")
    assert user and user.split(":")[0] not in ("root", "0"), f"{name} would run as root"
    if lines:
        assert dockerfile_user(lines) not in (None, "root", "0"), f"the image of {name} has no non-root USER"


def test_images_are_built_as_specified():
    rasa = (DOCKER / "Dockerfile.rasa").read_text(encoding="utf-8")
    actions = (DOCKER / "Dockerfile.actions").read_text(encoding="utf-8")
    assert "\nARG BASE=python:3.10-slim\nFROM ${BASE}\n" in rasa
    assert "\nARG BASE=python:3.11-slim\nFROM ${BASE}\n" in actions
    assert "pip install -r requirements/rasa.lock" in rasa and "pip install --no-deps" in rasa
    assert "endpoints.production.yml" in rasa and "credentials.production.yml" in rasa
    assert "/webhooks/health/" in rasa and "HEALTHCHECK" in rasa
    code = "\n".join(line for line in actions.splitlines() if not line.lstrip().startswith("#"))
    assert "torch" not in code.replace("^(torch|", ""), "the action server's image must not install torch"
    assert "COPY build/onnx build/onnx" in actions and "COPY build/onnx build/onnx" in rasa and "COPY build/kb build/kb" in rasa
    assert "kratom-assistant kb build" in actions and "pip install --no-deps -r /tmp/runtime.lock" in actions
    assert "--host\", \"0.0.0.0\"" in actions and "5055/health" in actions
    for path in DOCKER.iterdir():
        if path.is_file():
            code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#"))
            assert "--enable-api" not in code, f"{path.name} enables Rasa's HTTP API"


def test_no_secret_values_in_the_files():
    files = [COMPOSE, DOCKER / "Dockerfile.rasa", DOCKER / "Dockerfile.actions", DOCKER / "nginx.conf", ENDPOINTS, CREDENTIALS]
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{number}"
            for name in SECRETS + ("POSTGRES_PASSWORD",):
                match = re.match(rf"\s*(?:-\s*)?(?:ENV\s+|ARG\s+)?{name}\s*[:=]\s*(.*)$", line)
                if match:
                    value = match.group(1).strip()
                    assert not line.lstrip().startswith(("ENV", "ARG")), f"{where}: a secret is baked into an image"
                    assert re.fullmatch(r"\$\{[A-Z0-9_]+(:[?-][^}]*)?\}", value), f"{where}: {name} has a literal value"
            assert not re.search(r"xox[abpr]-|://[^/\s:@]+:[^/\s@$]+@", line), f"{where}: looks like a credential"
    # The YAML keys that take a secret in the endpoints file are interpolated.
    endpoints = yaml.safe_load(ENDPOINTS.read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["password"] == "${DB_PASSWORD}"
    assert endpoints["lock_store"]["password"] == "${REDIS_PASSWORD}"
    example = env_example()
    for name in SECRETS:
        assert name in example, f"env.example does not document {name}"
        assert example[name] == "", f"env.example gives {name} a value"
    assert "CORS_ORIGIN" in example


def test_endpoints_file_reads_unquoted_variables():
    text = ENDPOINTS.read_text(encoding="utf-8")
    assert not re.search(r"""["']\$\{""", text), "Rasa substitutes ${VAR} only in unquoted scalars"
    endpoints = yaml.safe_load(text)
    store, lock = endpoints["tracker_store"], endpoints["lock_store"]
    assert (store["type"], store["dialect"]) == ("SQL", "postgresql")
    assert {k: store[k] for k in ("url", "port", "username", "password", "db")} == {
        "url": "${DB_HOST}", "port": "${DB_PORT}", "username": "${DB_USER}", "password": "${DB_PASSWORD}", "db": "${DB_NAME}",
    }
    assert lock["type"] == "redis" and lock["url"] == "${REDIS_HOST}"
    assert endpoints["action_endpoint"]["url"] == "${ACTION_ENDPOINT_URL}"
    credentials = yaml.safe_load(CREDENTIALS.read_text(encoding="utf-8"))
    assert credentials == {"bot.channels.rest.SafeRestInput": {}, "bot.channels.health.HealthInput": {}}


def test_compose_and_the_local_replicas_use_the_endpoints_variables(config):
    wanted = endpoint_variables()
    assert wanted >= {"DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "REDIS_HOST", "REDIS_PASSWORD"}
    rasa_env = set(config["services"]["rasa"]["environment"])
    assert wanted <= rasa_env, f"compose's rasa service lacks {sorted(wanted - rasa_env)}"
    # tests/e2e/test_scale.py starts its replicas with replica_env(): the same names, and
    # nothing compose (or the image) would not also set.
    fake = SimpleNamespace(host="127.0.0.1", port=1, password="x", db=1, user="u")
    local = set(replica_env(fake, fake)) | {"ACTION_ENDPOINT_URL"}  # devstack sets the last one
    assert wanted <= local, f"the local replicas lack {sorted(wanted - local)}"
    image_env = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", (DOCKER / "Dockerfile.rasa").read_text(encoding="utf-8")))
    assert local <= rasa_env | image_env, f"compose does not set {sorted(local - rasa_env - image_env)}"
    # Secrets reach the containers only through interpolation from docker/.env.
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if key in SECRETS or key == "POSTGRES_PASSWORD":
                assert str(value).startswith("${"), (name, key)
    assert raw["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == raw["services"]["rasa"]["environment"]["DB_PASSWORD"]


def test_proxy_serves_the_widget_and_sticks_sessions(config):
    nginx = (DOCKER / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(r"upstream rasa_replicas \{[^}]*\bip_hash;[^}]*server rasa:5005", nginx)
    assert re.search(r"location /webhooks/ \{[^}]*proxy_pass http://rasa_replicas;", nginx)
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx  # with SANIC_PROXIES_COUNT=1
    assert config["services"]["rasa"]["environment"]["SANIC_PROXIES_COUNT"] == "1"
    volumes = [str(v) for v in config["services"]["proxy"]["volumes"]]
    static = str(REPO / "bot" / "web" / "static")
    assert any(static in v and "/usr/share/nginx/html" in v for v in volumes), volumes
    assert (REPO / "bot" / "web" / "static" / "kratom-widget.js").exists()
