"""EMG background tasks (run in-process by the local app, by `unclench worker` on a clinic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from unclench.core.db import session_scope
from unclench.core.jobs import Report, caller_from_dict, task
from unclench.emg import service


@task("emg-analyse")
def analyse_upload(
    report: Report,
    *,
    path: str,
    name: str,
    digest: str,
    fs: float | None,
    unit: str | None,
    regions: dict[str, list[str | None]],
    caller: dict[str, Any],
    listen_id: str | None = None,
    listen_offset_s: float | None = None,
) -> str:
    """Analyse and store an uploaded file as its uploader; the recording's id.

    Run again (a worker stopped midway), it finds the recording its first run stored, by the file's hash.
    """
    upload = Path(path)
    requester = caller_from_dict(caller)
    try:
        with session_scope(requester) as db:
            done = service.find_by_sha256(db, digest)
            if done is not None:
                return done.id
            report("reading", 0.0)
            stored = service.import_file(
                db,
                path=upload,
                original_name=name,
                fs=fs,
                unit=unit,
                regions={
                    channel: service.RegionChoice(str(choice[0]), choice[1]) for channel, choice in regions.items()
                },
                listen_id=listen_id,
                listen_offset_s=listen_offset_s,
                progress=lambda done, total: report("analysing", 0.95 * done / max(total, 1)),
            )
            report("saving", 0.97)
            return stored.id
    finally:
        upload.unlink(missing_ok=True)
