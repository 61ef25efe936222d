import json
import os

import pytest


def _post(client, body, headers, **kwargs):
    return client.post("/api/recordings", json=body, headers=headers, **kwargs)


def test_create_list_and_get(client, auth, app):
    created = _post(
        client, {"title": "  Episode 1 ", "duration_seconds": 12.5, "format": "mp4"}, auth()
    )
    assert created.status_code == 201
    record = created.get_json()
    assert record["title"] == "Episode 1"
    assert record["duration_seconds"] == 12.5
    assert record["format"] == "mp4"
    assert record["owner"] == "user-1"
    assert created.headers["Location"] == f"/api/recordings/{record['id']}"
    assert os.path.exists(os.path.join(app.config["RECORDINGS_DIR"], f"{record['id']}.json"))

    second = _post(client, {"title": "Episode 2", "duration_seconds": 60}, auth()).get_json()
    assert second["format"] == "webm"

    listed = client.get("/api/recordings", headers=auth())
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["count"] == 2
    assert [r["id"] for r in body["items"]] == [second["id"], record["id"]]

    assert client.get("/api/recordings?limit=1", headers=auth()).get_json()["count"] == 1
    fetched = client.get(created.headers["Location"], headers=auth())
    assert fetched.status_code == 200 and fetched.get_json() == record


def test_recordings_are_per_owner(client, auth):
    record = _post(client, {"title": "Mine", "duration_seconds": 1}, auth("alice")).get_json()
    assert client.get("/api/recordings", headers=auth("bob")).get_json()["count"] == 0
    assert client.get(f"/api/recordings/{record['id']}", headers=auth("bob")).status_code == 404
    assert client.get("/api/recordings/not-an-id", headers=auth("alice")).status_code == 404


def test_recordings_require_a_valid_token(client, token):
    assert client.get("/api/recordings").status_code == 401
    assert _post(client, {"title": "x", "duration_seconds": 1}, {}).status_code == 401
    bad = {"Authorization": f"Bearer {token(secret='wrong-secret')}"}
    response = client.get("/api/recordings", headers=bad)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "title"),
        ({"duration_seconds": 5}, "title"),
        ({"title": "", "duration_seconds": 5}, "title"),
        ({"title": "   ", "duration_seconds": 5}, "title"),
        ({"title": 42, "duration_seconds": 5}, "title"),
        ({"title": "x" * 201, "duration_seconds": 5}, "title"),
        ({"title": "ok"}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": "5"}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": True}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": 0}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": -1}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": 86401}, "duration_seconds"),
        ({"title": "ok", "duration_seconds": 5, "format": "avi"}, "format"),
        ({"title": "ok", "duration_seconds": 5, "owner": "admin"}, "body"),
        ([{"title": "ok", "duration_seconds": 5}], "body"),
        ("just a string", "body"),
        (None, "body"),
    ],
)
def test_create_rejects_invalid_bodies_with_400(client, auth, body, field):
    response = client.post(
        "/api/recordings", data=json.dumps(body), content_type="application/json", headers=auth()
    )
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["error"] == "validation_failed"
    assert field in payload["fields"]


def test_create_rejects_malformed_json_and_wrong_content_type(client, auth):
    malformed = client.post(
        "/api/recordings", data="{not json", content_type="application/json", headers=auth()
    )
    assert malformed.status_code == 400
    assert malformed.get_json()["fields"] == {"body": "must be valid JSON"}
    form = client.post("/api/recordings", data={"title": "x"}, headers=auth())
    assert form.status_code == 400
    assert "Content-Type" in form.get_json()["fields"]["body"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5"])
def test_list_rejects_bad_limit(client, auth, limit):
    response = client.get(f"/api/recordings?limit={limit}", headers=auth())
    assert response.status_code == 400
    assert "limit" in response.get_json()["fields"]


def test_max_content_length_gives_413(make_app, auth):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    body = {"title": "x" * 2000, "duration_seconds": 1}
    response = _post(client, body, auth())
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


def test_default_max_content_length_is_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_storage_failure_is_503(make_app, auth, tmp_path):
    app = make_app(RECORDINGS_DIR=str(tmp_path / "missing"))
    client = app.test_client()
    assert _post(client, {"title": "x", "duration_seconds": 1}, auth()).status_code == 503
    assert client.get("/api/recordings", headers=auth()).status_code == 503


def test_unreadable_files_are_skipped(client, auth, app):
    directory = app.config["RECORDINGS_DIR"]
    with open(os.path.join(directory, "0" * 32 + ".json"), "w") as fh:
        fh.write("{broken")
    with open(os.path.join(directory, "notes.txt"), "w") as fh:
        fh.write("ignored")
    _post(client, {"title": "ok", "duration_seconds": 1}, auth())
    assert client.get("/api/recordings", headers=auth()).get_json()["count"] == 1


def test_unknown_route_is_json_404(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
