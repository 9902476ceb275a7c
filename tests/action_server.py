"""The action server as a process (python -m actions.server), for tests that call it over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bot.devstack import free_port
from bot.settings import PROJECT_ROOT
from tests.conftest import TEST_HASH_KEY
from tests.waiting import wait_for


def base_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "ENVIRONMENT": "test", "PYTHONUNBUFFERED": "1", **extra}


def launch(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "actions.server", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def action_server(database_url: str, token: str) -> Iterator[str]:
    """An action server on a free loopback port for `database_url`; yields its base URL."""
    port = free_port()
    env = base_env(
        DATABASE_URL=database_url, VERIFICATION_HASH_KEY=TEST_HASH_KEY, ACTION_SERVER_TOKEN=token
    )
    process = launch(env, "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), timeout=60, what="the action server")
        yield url
    finally:
        stop(process)
