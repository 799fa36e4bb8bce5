"""The deployment files agree with settings.py, and production settings pass ``check --deploy``.

settings.py is the single source of truth for configuration: docker-compose.yml
may only pass variables it reads, must pass every one production requires, and
.env.example documents exactly the variables it reads. None of these tests needs
a database; the deploy check runs in a subprocess with a production environment.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (ROOT / "icpfiling" / "settings.py").read_text(encoding="utf-8")
APP_SERVICES = ("web", "worker", "beat")

# env.str("NAME", ...), env.db_url("NAME"), env.list(\n    "NAME", ...) and _required("NAME").
_ENV_READ = re.compile(r"""\benv\.\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""")
_REQUIRED_READ = re.compile(r"""\b_required\(\s*["']([A-Z][A-Z0-9_]*)["']""")
# "NAME=value" or "# NAME=value" (the examples are commented out so that copying is harmless).
_EXAMPLE_ASSIGNMENT = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def settings_variables() -> set[str]:
    return set(_ENV_READ.findall(SETTINGS_SOURCE)) | set(_REQUIRED_READ.findall(SETTINGS_SOURCE))


def production_required_variables() -> set[str]:
    # DATABASE_URL has no default in production (env.db_url without default raises).
    return set(_REQUIRED_READ.findall(SETTINGS_SOURCE)) | {"DATABASE_URL"}


def load_compose() -> dict:
    with (ROOT / "docker-compose.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # SafeLoader resolves anchors, aliases and << merges


def services() -> dict[str, dict]:
    return load_compose()["services"]


def command_tokens(service: dict) -> list[str]:
    command = service.get("command")
    assert command, "service has no command"
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def option_values(tokens: list[str], *names: str) -> list[str]:
    """Values of a command-line option given as ``-k x``, ``-kx``, ``--opt x`` or ``--opt=x``."""
    values = []
    for i, token in enumerate(tokens):
        for name in names:
            if token == name and i + 1 < len(tokens):
                values.append(tokens[i + 1])
            elif name.startswith("--") and token.startswith(name + "="):
                values.append(token.split("=", 1)[1])
            elif not name.startswith("--") and token.startswith(name) and len(token) > len(name):
                values.append(token[len(name) :])
    return values


def celery_invocation(tokens: list[str]) -> tuple[str | None, str | None]:
    """(app, subcommand) of a ``celery -A app <subcommand> ...`` command line."""
    if tokens[:3] == ["python", "-m", "celery"]:
        tokens = ["celery", *tokens[3:]]
    assert tokens[0] == "celery", f"not a celery command: {tokens}"
    app, rest, args = None, [], iter(tokens[1:])
    for token in args:
        if token in {"-A", "--app"}:
            app = next(args, None)
        elif token.startswith("--app="):
            app = token.split("=", 1)[1]
        elif token.startswith("-A"):
            app = token[2:]
        else:
            rest.append(token)
    return app, next((t for t in rest if not t.startswith("-")), None)


# --- settings.py as the source of truth ---------------------------------------------


def test_settings_variables_are_all_visible_to_the_extractor():
    # given settings.py / then it reads its environment only through django-environ,
    # so the regexes above see every variable (a bare os.environ would slip past them)
    assert "os.environ" not in SETTINGS_SOURCE
    assert "getenv" not in SETTINGS_SOURCE
    names = settings_variables()
    # and the extractor finds the variables we know are there, including multi-line calls
    assert {"ICPFILING_MODE", "DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMS_BACKEND"} <= names
    assert {"DJANGO_SECRET_KEY", "REDIS_URL", "S3_BUCKET"} <= production_required_variables()


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_defines_every_service():
    found = services()
    for name in (*APP_SERVICES, "migrate", "db", "redis"):
        assert name in found, f"docker-compose.yml has no {name!r} service"
    stores = [s for s in found.values() if str(s.get("image", "")).split(":")[0] == "minio/minio"]
    assert stores, "no S3-compatible object store (minio/minio) service"
    assert "server" in command_tokens(stores[0])
    bucket_jobs = [s for s in found.values() if str(s.get("image", "")).split(":")[0] == "minio/mc"]
    assert bucket_jobs, "no one-shot job creating the bucket"


def test_compose_every_dependency_exists_and_app_waits_for_migrate():
    found = services()
    for name, service in found.items():
        for dep in service.get("depends_on") or {}:
            assert dep in found, f"{name} depends on unknown service {dep!r}"
    for name in APP_SERVICES:
        deps = found[name].get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions"
        assert deps.get("migrate", {}).get("condition") == "service_completed_successfully", name


def test_compose_web_runs_gunicorn_with_sync_workers():
    tokens = command_tokens(services()["web"])
    if tokens[:3] == ["python", "-m", "gunicorn"]:
        tokens = ["gunicorn", *tokens[3:]]
    assert tokens[0] == "gunicorn"
    assert any(t in {"icpfiling.wsgi", "icpfiling.wsgi:application"} for t in tokens[1:])
    worker_classes = option_values(tokens, "-k", "--worker-class")
    assert all(value == "sync" for value in worker_classes), worker_classes


def test_dockerfile_default_command_is_composes_web_command():
    # Given the image's CMD (a JSON array, maybe continued over lines) and compose's web command
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD\s+(\[.*?\])\s*$", dockerfile.replace("\\\n", " "), re.MULTILINE | re.DOTALL)
    assert cmd, "the image has no CMD in JSON form"
    # Then an image run on its own starts gunicorn exactly as the measured stack does
    assert json.loads(cmd.group(1)) == command_tokens(services()["web"])


def test_compose_worker_and_beat_run_celery():
    found = services()
    assert celery_invocation(command_tokens(found["worker"])) == ("icpfiling", "worker")
    assert celery_invocation(command_tokens(found["beat"])) == ("icpfiling", "beat")


def test_compose_database_is_postgres_15_or_newer():
    image = str(services()["db"]["image"])
    name, _, tag = image.partition(":")
    assert name.rsplit("/", 1)[-1] == "postgres", image
    major = re.match(r"\d+", tag)
    assert major, f"pin a PostgreSQL major version, not {image!r}"
    assert int(major.group()) >= 15, image


def test_compose_app_services_share_one_image_and_environment():
    found = services()
    web = found["web"]
    for name in ("worker", "beat"):
        assert found[name].get("image") == web.get("image"), name
        assert found[name].get("build") == web.get("build"), name
        assert environment(found[name]) == environment(web), name
    assert environment(web)["ICPFILING_MODE"] == "production"


def test_compose_app_environment_uses_only_variables_settings_reads():
    known = settings_variables()
    for name in APP_SERVICES:
        unknown = set(environment(services()[name])) - known
        assert not unknown, f"{name} passes variables settings.py never reads: {sorted(unknown)}"


def test_compose_app_environment_has_everything_production_requires():
    for name in APP_SERVICES:
        env = environment(services()[name])
        missing = {v for v in production_required_variables() if not env.get(v)}
        assert not missing, f"{name} lacks variables production requires: {sorted(missing)}"


def test_compose_web_health_check_asks_a_platform_host():
    web = services()["web"]
    probe = " ".join(str(part) for part in web["healthcheck"]["test"])
    assert "/healthz/" in probe
    assert re.search(r"""['"]Host['"]\s*:\s*['"]localhost['"]""", probe), probe
    assert "localhost" in environment(web)["ICPFILING_PLATFORM_HOSTS"].split(",")


# --- .env.example ------------------------------------------------------------------------


def test_env_example_lists_exactly_the_variables_settings_reads():
    listed = _EXAMPLE_ASSIGNMENT.findall((ROOT / ".env.example").read_text(encoding="utf-8"))
    duplicates = sorted({v for v in listed if listed.count(v) > 1})
    assert not duplicates, f".env.example lists these more than once: {duplicates}"
    known = settings_variables()
    assert not known - set(listed), f".env.example misses: {sorted(known - set(listed))}"
    assert not set(listed) - known, f".env.example lists unknown variables: {sorted(set(listed) - known)}"


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_collects_static_files_in_production_mode():
    # Production serves static files through the manifest storage, whose
    # staticfiles.json only a production-mode collectstatic writes.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    run_steps = re.findall(r"^RUN\s+(.*?)(?<!\\)$", dockerfile, re.MULTILINE | re.DOTALL)
    collect = [step for step in run_steps if "collectstatic" in step]
    assert collect, "the image never runs collectstatic"
    assert "ICPFILING_MODE=production" in collect[0]
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users, "the image runs as root"
    assert users[-1] not in {"root", "0"}


# --- manage.py check --deploy ----------------------------------------------------------------


def production_env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment minus anything that would change which settings load."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests set the latter
        and not k.startswith("PYTEST")
        and k not in settings_variables()
    }
    env.update(
        ICPFILING_MODE="production",
        ICPFILING_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(45),  # 60 characters
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        S3_BUCKET="icpfiling-private",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
        S3_ACCESS_KEY_ID="check-deploy",
        S3_SECRET_ACCESS_KEY="check-deploy-secret",
        S3_REGION="cn-north-1",
        EMAIL_URL="smtp+tls://mail.example.com:587",
        DJANGO_ALLOWED_HOSTS="beian.example.com",
        ICPFILING_FIELD_KEYS=Fernet.generate_key().decode(),
        ICPFILING_BLIND_INDEX_KEY=secrets.token_urlsafe(48),
    )
    assert len(env["DJANGO_SECRET_KEY"]) == 60
    return env


DEPLOY_CHECK = ["check", "--deploy", "--fail-level", "DEBUG"]
NO_ISSUES = re.compile(r"System check identified no issues( \(1 silenced\))?\.")


def test_production_settings_pass_check_deploy(tmp_path):
    # given a complete production environment / when Django's deployment checks run
    result = subprocess.run(
        [sys.executable, "manage.py", *DEPLOY_CHECK],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then nothing is reported, not even at DEBUG level (auth.W004 is silenced on purpose)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert NO_ISSUES.search(output), output


# Runs manage.py with PostgreSQL connections and every Python socket connect refused,
# so the deploy check above is known not to depend on live PostgreSQL or Redis.
_OFFLINE_MANAGE = """
import runpy, sys
import psycopg2

def refuse(*args, **kwargs):
    raise SystemExit("manage.py tried to connect to PostgreSQL")

def audit(event, args):
    if event == "socket.connect":
        raise SystemExit(f"manage.py tried to open a network connection to {args[1]!r}")

psycopg2.connect = refuse
sys.addaudithook(audit)
sys.argv = ["manage.py", *sys.argv[1:]]
runpy.run_path("manage.py", run_name="__main__")
"""


def test_check_deploy_needs_no_database_or_redis(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE_MANAGE, *DEPLOY_CHECK],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert NO_ISSUES.search(output), output


@pytest.mark.parametrize("missing", sorted(production_required_variables()))
def test_production_refuses_to_start_without_a_required_variable(tmp_path, missing):
    # given a production environment without one required variable
    env = production_env(tmp_path)
    del env[missing]
    # when Django starts / then it stops with a configuration error naming the variable
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert missing in result.stderr


def test_r_x4_compose_serves_as_a_role_that_does_not_own_the_tables():
    # given docker-compose.yml / then the app services connect as a role other than the owner
    found = services()

    def user(service: str) -> str:
        return re.match(r"postgres://([^:@]+)", environment(found[service])["DATABASE_URL"]).group(1)

    owner = environment(found["db"])["POSTGRES_USER"]
    assert user("migrate") == owner
    for name in APP_SERVICES:
        assert user(name) != owner, name
    # and migrate grants that role its rights, audit tables append-only, after every migration
    script = " ".join(command_tokens(found["migrate"]))
    assert script.index("migrate --no-input") < script.index(f"app_db_role --role {user('web')}")
