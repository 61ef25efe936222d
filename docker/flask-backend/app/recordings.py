"""Recording metadata: validation and a small file store.

Each recording is one JSON file in RECORDINGS_DIR (the `flask_recordings` volume), written
atomically (temporary file + os.replace) so every gunicorn worker sees the same data.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import uuid
from datetime import datetime, timezone
from typing import Any

from .jsonlog import APP_LOGGER

log = logging.getLogger(f"{APP_LOGGER}.recordings")

TITLE_MAX = 200
MAX_DURATION_SECONDS = 24 * 60 * 60
FORMATS = ("webm", "mp4", "mkv")
FIELDS = {"title", "duration_seconds", "format"}
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 50

_ID = re.compile(r"^[0-9a-f]{32}$")


class ValidationError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid recording")
        self.errors = errors


def validate_new_recording(payload: Any) -> dict[str, Any]:
    """The cleaned fields of a POST /api/recordings body, or ValidationError."""
    if not isinstance(payload, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        errors["body"] = f"unknown field(s): {', '.join(unknown)}"

    title = payload.get("title")
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "required, a non-empty string"
    elif len(title.strip()) > TITLE_MAX:
        errors["title"] = f"at most {TITLE_MAX} characters"

    duration = payload.get("duration_seconds")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        errors["duration_seconds"] = "required, a number"
    elif not 0 < duration <= MAX_DURATION_SECONDS:
        errors["duration_seconds"] = f"must be > 0 and <= {MAX_DURATION_SECONDS}"

    fmt = payload.get("format", "webm")
    if fmt not in FORMATS:
        errors["format"] = f"one of {', '.join(FORMATS)}"

    if errors:
        raise ValidationError(errors)
    return {"title": title.strip(), "duration_seconds": duration, "format": fmt}


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIST_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST_LIMIT:
        raise ValidationError({"limit": f"an integer from 1 to {MAX_LIST_LIMIT}"})
    return int(raw)


class RecordingStore:
    def __init__(self, directory: str):
        self.directory = directory

    def create(self, fields: dict[str, Any], owner: str | None) -> dict[str, Any]:
        record = {
            "id": uuid.uuid4().hex,
            **fields,
            "owner": owner,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        }
        fd, tmp_path = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh)
            os.replace(tmp_path, os.path.join(self.directory, f"{record['id']}.json"))
        except BaseException:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass
            raise
        return record

    def get(self, recording_id: str, owner: str | None) -> dict[str, Any] | None:
        if not _ID.match(recording_id):
            return None
        try:
            with open(os.path.join(self.directory, f"{recording_id}.json"), encoding="utf-8") as fh:
                record = json.load(fh)
        except FileNotFoundError:
            return None
        except ValueError:
            log.warning("unreadable recording", extra={"recording": recording_id})
            return None
        if not isinstance(record, dict) or record.get("owner") != owner:
            return None  # someone else's recording is reported as missing, not forbidden
        return record

    def list(self, owner: str | None, limit: int) -> list[dict[str, Any]]:
        records = []
        with os.scandir(self.directory) as entries:
            for entry in entries:
                stem, ext = os.path.splitext(entry.name)
                if ext != ".json" or not _ID.match(stem) or not entry.is_file():
                    continue
                try:
                    with open(entry.path, encoding="utf-8") as fh:
                        record = json.load(fh)
                except (OSError, ValueError):
                    log.warning("skipping unreadable recording", extra={"recording": stem})
                    continue
                if isinstance(record, dict) and record.get("owner") == owner:
                    records.append(record)
        records.sort(key=lambda r: (str(r.get("created_at", "")), str(r.get("id", ""))), reverse=True)
        return records[:limit]
