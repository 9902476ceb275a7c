"""The admin api for feeds: bearer token, a file with rejections, the list of imports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from bot.devstack import free_port
from bot.rasa_client import RasaClient
from tests.portfolio.feeds import account_row, to_csv

TOKEN = "admin-token-for-tests"
URL = "/api/admin/portfolio/imports"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(settings, sessions):
    settings = settings.model_copy(update={"admin_api_token": SecretStr(TOKEN)})
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=5)
    with TestClient(create_app(settings, sessions=sessions, rasa=rasa)) as client:
        yield client


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_admin_api_needs_the_token(client, method):
    missing = getattr(client, method)(URL)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "admin_token_required"
    wrong = getattr(client, method)(URL, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "admin_token_invalid"


def test_a_file_with_rejections_answers_with_counts_and_masked_reasons(client):
    content = to_csv([account_row(1), account_row(2, full_name="4111-1111-1111-1111")])
    response = client.post(
        URL, content=content, headers=AUTH | {"Content-Type": "text/csv"}, params={"actor": "ops"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"], body["unchanged"]) == (1, 1, 0)
    assert body["rejections"] == [
        {
            "row": 3,
            "column": "full_name",
            "value": "[card number withheld]",
            "reason": body["rejections"][0]["reason"],
        }
    ]
    assert "4111" not in response.text
    listed = client.get(URL, headers=AUTH).json()
    assert [(r["import_id"], r["actor"], r["accepted"]) for r in listed] == [
        (body["import_id"], "admin-api:ops", 1)
    ]


def test_a_dry_run_over_the_api_changes_nothing(client):
    content = to_csv([account_row(1)])
    dry = client.post(URL, content=content, headers=AUTH, params={"format": "csv", "dry_run": True})
    assert dry.json()["accepted"] == 1 and dry.json()["dry_run"] is True
    real = client.post(URL, content=content, headers=AUTH, params={"format": "csv"})
    assert real.json()["accepted"] == 1


def test_a_refused_file_is_a_422_naming_the_missing_columns(client):
    rows = [account_row(1)]
    columns = [name for name in rows[0] if name != "as_of"]
    response = client.post(
        URL, content=to_csv(rows, columns), headers=AUTH | {"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["missing_columns"]) == ("file_refused", ["as_of"])


def test_json_lines_by_content_type_and_an_unknown_format_refused(client):
    jsonl = b'{"account_id": "ACC-1"}\n'
    response = client.post(
        URL, content=jsonl, headers=AUTH | {"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 422
    assert "cardholder_id" in response.json()["error"]["missing_columns"]
    unknown = client.post(URL, content=b"x", headers=AUTH | {"Content-Type": "text/plain"})
    assert unknown.status_code == 415
