"""Starting Rasa, the action server and the api together, and stopping them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex

import httpx

from bot.settings import PROJECT_ROOT, Settings

RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL_PATH = PROJECT_ROOT / "models" / "collections.tar.gz"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Files the services create (logs, caches, a SQLite database) are their owner's alone.
PRIVATE_UMASK = 0o077


def private_directory(path: Path) -> Path:
    """`path` as a directory only its owner can enter (created if missing)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def spawn_logged(
    argv: list[str], *, log_path: Path, env: Mapping[str, str], cwd: Path = PROJECT_ROOT
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session, output appended to a log only its owner can read."""
    private_directory(log_path.parent)
    descriptor = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=descriptor,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Ports:
    api: int
    rasa: int
    actions: int

    @classmethod
    def free(cls) -> Ports:
        return cls(api=free_port(), rasa=free_port(), actions=free_port())


@dataclass(frozen=True)
class StackSecrets:
    """What each process proves to the next: Rasa's HTTP API token, the secret of our input
    channel (only the api drives a turn) and the action server's (only Rasa runs actions)."""

    rasa_api: str
    rasa_channel: str
    action_server: str

    @classmethod
    def from_settings(cls, settings: Settings) -> StackSecrets:
        return cls(
            rasa_api=settings.rasa_token.get_secret_value(),
            rasa_channel=settings.rasa_channel_token.get_secret_value(),
            action_server=settings.action_server_token.get_secret_value(),
        )

    @classmethod
    def random(cls) -> StackSecrets:
        return cls(*(token_hex(24) for _ in range(3)))


@dataclass
class _Service:
    name: str
    argv: list[str]
    ready_url: str
    # Rasa 3.6 ignores SIGTERM for a long time but stops within seconds on SIGINT.
    stop_signal: int
    process: subprocess.Popen[bytes] | None = None


class StackFailed(RuntimeError):
    """A service died or did not become ready in time."""


class DevStack:
    """The three processes of the assistant on loopback, with logs under `log_dir`."""

    def __init__(
        self, *, ports: Ports, env: Mapping[str, str], log_dir: Path, secrets: StackSecrets
    ) -> None:
        self.ports = ports
        self.log_dir = log_dir
        self.secrets = secrets
        rasa_token = secrets.rasa_api
        self._env = {
            **os.environ,
            **env,
            "RASA_URL": f"http://127.0.0.1:{ports.rasa}",
            "RASA_TOKEN": rasa_token,
            # endpoints.yml and credentials.yml read these; the api and actions read settings.
            "RASA_CHANNEL_TOKEN": secrets.rasa_channel,
            "ACTION_SERVER_TOKEN": secrets.action_server,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{ports.actions}/webhook",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
        }
        python = sys.executable
        self._services = [
            _Service(
                "actions",
                [
                    python,
                    "-m",
                    "actions.server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports.actions),
                ],
                f"http://127.0.0.1:{ports.actions}/health",
                signal.SIGTERM,
            ),
            _Service(
                "rasa",
                [
                    str(RASA_BIN),
                    "run",
                    "--enable-api",
                    # One argument, so a token that starts with "-" is not read as an option.
                    f"--auth-token={rasa_token}",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(ports.rasa),
                    "--model",
                    str(MODEL_PATH),
                    "--endpoints",
                    "endpoints.yml",
                    "--credentials",
                    "credentials.yml",
                ],
                f"http://127.0.0.1:{ports.rasa}/status?token={rasa_token}",
                signal.SIGINT,
            ),
            _Service(
                "api",
                [
                    python,
                    "-m",
                    "uvicorn",
                    "api.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports.api),
                ],
                f"http://127.0.0.1:{ports.api}/healthz",
                signal.SIGTERM,
            ),
        ]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    def start(self, *, timeout: float = 240.0) -> None:
        """Start every service and wait until each answers; stop all of them on failure."""
        if not RASA_BIN.exists() or not MODEL_PATH.exists():
            raise StackFailed("Rasa or the trained model is missing: run `make train` first")
        for service in self._services:
            service.process = spawn_logged(
                service.argv, log_path=self.log_dir / f"{service.name}.log", env=self._env
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self._services)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for service in list(pending):
                    assert service.process is not None
                    if service.process.poll() is not None:
                        raise StackFailed(
                            f"{service.name} exited with {service.process.returncode}; "
                            f"see {self.log_dir / (service.name + '.log')}"
                        )
                    try:
                        response = client.get(service.ready_url)
                        if response.status_code == 200 and (
                            service.name != "rasa" or response.json().get("model_id")
                        ):
                            pending.remove(service)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(s.name for s in pending)
                    raise StackFailed(
                        f"not ready after {timeout:.0f}s: {names}; logs in {self.log_dir}"
                    )
                if pending:
                    time.sleep(0.5)

    def stop(self, *, grace: float = 20.0) -> None:
        """Stop the services in reverse order, each by its own signal, killing any that hang."""
        for service in reversed(self._services):
            process = service.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(service.stop_signal)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> DevStack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
