"""Data rights: export every row a person owns, and delete it all, with their files and (on a clinic) their account.

Generic over the tables: every model that mixes in `core.db.PersonOwned` is found by walking the ORM registry, so a
table another domain adds later is exported and deleted with no change here (tests/privacy checks every one is).
Reads and deletes are ORM statements, scoped to the caller by core/db.py like any other, so this module never
names a person in a query. Files are content-addressed and may be shared (two people with the same session
settings, or who imported the same EMG file): a file goes only once no row of anyone's still names it, and only
after the deletion has committed, so no row ever points at a missing file.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from unclench.accounts import audit, logins, people
from unclench.core import clock
from unclench.core.db import Base, PersonOwned, session_scope
from unclench.core.errors import FieldProblem, UserInputError
from unclench.core.identity import caller_of
from unclench.core.models_registry import import_all_models
from unclench.core.settings import get_settings
from unclench.core.validation import parse_input
from unclench.privacy.schemas import CONFIRM_WORD, DeleteIn
from unclench.sessions import service as sessions

EXPORT_RESOURCE = "all-data"
README = "README.txt"
TABLES_FOLDER = "tables"
DIARY_FOLDER = "diary"
FHIR_FILE = "fhir/bundle.json"
AUDIO_LIST = "files/audio.csv"
EMG_LIST = "files/emg.csv"
ACCOUNT_FILE = "account.csv"


# --- which tables and files are a person's -------------------------------------------------------------------


def owned_models() -> list[type[PersonOwned]]:
    """Every person-owned model, parents before children (the order the foreign keys need for inserting)."""
    import_all_models()
    by_table: dict[Any, type[PersonOwned]] = {
        mapper.local_table: mapper.class_
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, PersonOwned) and mapper.inherits is None
    }
    return [by_table[table] for table in Base.metadata.sorted_tables if table in by_table]


def _table(model: type[PersonOwned]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class FileReference:
    """A column whose value names files under the data dir (a content hash, so the files may be shared)."""

    table: str
    column: str
    files: Callable[[str], list[Path]]


def file_references() -> tuple[FileReference, ...]:
    """Where person-owned rows name files: rendered session audio (by settings hash), EMG raw files (by content)."""
    from unclench.emg import service as emg

    return (
        FileReference("audio_session", "artefact_key", sessions.artefact_files),
        FileReference("emg_recording", "file_sha256", emg.raw_files),
    )


def _owned_values(db: Session, reference: FileReference) -> set[str]:
    """The values the caller's own rows hold in a file-naming column (the ORM read is scoped to the caller)."""
    model = next(m for m in owned_models() if _table(m).name == reference.table)
    key = _table(model).c[reference.column].key
    return {value for row in db.scalars(select(model)) if (value := getattr(row, key))}


# What the page names in words (one, several); every other table's rows are counted together.
_KEPT_LABELS = {
    "episode": ("episode", "episodes"),
    "checkin": ("check-in", "check-ins"),
    "questionnaire_response": ("questionnaire", "questionnaires"),
    "reflection_note": ("note", "notes"),
    "medication": ("medicine", "medicines"),
    "audio_session": ("session", "sessions"),
    "session_listen": ("listen", "listens"),
    "emg_recording": ("EMG recording", "EMG recordings"),
}


def _counted(count: int, words: tuple[str, str]) -> str:
    return f"{count} {words[0] if count == 1 else words[1]}"


def kept_counts(db: Session) -> list[str]:
    """How much the caller keeps here, in words ("3 episodes"), the main kinds first, then "other records"."""
    named: list[str] = []
    others = 0
    for model in owned_models():
        count = db.scalar(select(func.count()).select_from(model)) or 0  # ORM: scoped to the caller
        words = _KEPT_LABELS.get(_table(model).name)
        if words is None:
            others += count
        elif count:
            named.append(_counted(count, words))
    return [*named, _counted(others, ("other record", "other records"))] if others else named


# --- export ----------------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """One value as text: ISO 8601 times in UTC, true/false, JSON for structures, formulas defused."""
    from unclench.diary.csvio import spreadsheet_safe

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return spreadsheet_safe(json.dumps(value, sort_keys=True, ensure_ascii=False))
    if isinstance(value, int | float):
        return repr(value)
    return spreadsheet_safe(str(value))


def _csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _table_rows(db: Session, model: type[PersonOwned]) -> Iterator[list[Any]]:
    table = _table(model)
    keys = [column.key for column in table.columns]
    order = list(table.primary_key.columns)
    query = select(model).order_by(*order).execution_options(yield_per=1000)
    for row in db.scalars(query):
        yield [getattr(row, key) for key in keys]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _audio_list(db: Session, data_dir: Path) -> str:
    rows: list[list[Any]] = []
    for session in sessions.list_sessions(db):
        files = sessions.artefact_files(session.artefact_key or "")
        base = [session.id, session.title, session.options, session.artefact_key, session.status]
        rows += [[*base, path.relative_to(data_dir).as_posix(), path.stat().st_size, _sha256(path)] for path in files]
        if not files:
            rows.append([*base, None, None, None])
    header = ["session_id", "title", "settings", "settings_hash", "status", "file", "bytes", "sha256"]
    return _csv_text(header, rows)


def _emg_list(db: Session, data_dir: Path) -> str:
    from unclench.emg import service as emg

    rows: list[list[Any]] = []
    for recording in emg.list_recordings(db, limit=1_000_000):
        path = emg.recording_path(recording)
        size = path.stat().st_size if path.exists() else None
        name = path.relative_to(data_dir).as_posix()
        rows.append([recording.id, recording.original_name, recording.recorded_at, name, size, recording.file_sha256])
    return _csv_text(["recording_id", "original_name", "recorded_at", "file", "bytes", "sha256"], rows)


@dataclass
class ExportSummary:
    """What an export wrote: rows per table file, and every file in the ZIP."""

    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _column_doc(column: Any) -> str:
    kind = type(column.type).__name__.replace("TypeDecorator", "")
    kind = {"UTCDateTime": "UTC time", "JSON": "JSON"}.get(kind, kind.lower())
    notes = [kind]
    if column.primary_key:
        notes.append("row id")
    notes += [f"→ {fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys]
    if column.nullable and not column.primary_key:
        notes.append("may be empty")
    return f"    {column.name}: {', '.join(notes)}"


def _readme(summary: ExportSummary, models: list[type[PersonOwned]], when: datetime) -> str:
    lines = [
        "Everything unclench keeps about you",
        "===================================",
        "",
        f"Exported {_cell(when)} (UTC). Each file is UTF-8 text unless it says otherwise.",
        "",
        f"{ACCOUNT_FILE}: who you are here (your name and, on a clinic server, your account's email and role).",
        f"{DIARY_FOLDER}/: your diary as unclench's own CSV files (episodes, check-ins, your factors). Another",
        "    unclench imports them: `unclench import FOLDER`.",
        f"{FHIR_FILE}: your episodes, stress questionnaires and listened sessions as a FHIR R4 Bundle (JSON),",
        "    the format health records use.",
        f"{AUDIO_LIST}: your relaxation sessions: title, settings (JSON), the settings hash that names their",
        "    folder, and each audio, transcript and chapter file with its size and SHA-256. The audio itself is",
        "    not in this ZIP (it is large); download it from each session's page.",
        f"{EMG_LIST}: your EMG recordings' raw files, with size and SHA-256 (the file's name is its hash).",
        f"{TABLES_FOLDER}/: every table that holds your data, exactly as stored, one CSV file per table.",
        "",
        "The table files",
        "---------------",
        "The first line names the columns. Times are in UTC, ISO 8601 with a Z (2026-06-17T08:00:00.000000Z);",
        "days are YYYY-MM-DD; yes/no columns are true/false; structured values (settings, summaries) are JSON;",
        "an empty cell is no value. A text that would start a spreadsheet formula (=, +, -, @) has one",
        "apostrophe put before it so that a spreadsheet shows it as text. person_id is your number here.",
        "",
    ]
    for model in models:
        table = _table(model)
        about = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        lines.append(f"{TABLES_FOLDER}/{table.name}.csv ({summary.rows.get(table.name, 0)} rows): {about}")
        lines += [_column_doc(column) for column in table.columns]
        lines.append("")
    return "\n".join(lines) + "\n"


def export_everything(db: Session, target: IO[bytes]) -> ExportSummary:
    """Write the caller's whole data as one ZIP to `target` and log the export (in the caller's transaction)."""
    from unclench.diary.csvio import export_diary
    from unclench.reports import fhir

    data_dir = get_settings().data_dir
    summary = ExportSummary()
    models = owned_models()
    person_id = caller_of(db).person_id
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, text: str) -> None:
            archive.writestr(name, text.encode("utf-8"))
            summary.files.append(name)

        details = people.describe_person(db, person_id) if person_id is not None else {}
        add(ACCOUNT_FILE, _csv_text(list(details), [list(details.values())]))
        with tempfile.TemporaryDirectory() as folder:
            export_diary(db, Path(folder))
            for path in sorted(Path(folder).iterdir()):
                add(f"{DIARY_FOLDER}/{path.name}", path.read_text(encoding="utf-8"))
        add(FHIR_FILE, json.dumps(fhir.fhir_bundle(db, None), indent=2, ensure_ascii=False))
        add(AUDIO_LIST, _audio_list(db, data_dir))
        add(EMG_LIST, _emg_list(db, data_dir))
        for model in models:
            table = _table(model)
            rows = list(_table_rows(db, model))
            summary.rows[table.name] = len(rows)
            add(f"{TABLES_FOLDER}/{table.name}.csv", _csv_text([c.name for c in table.columns], rows))
        add(README, _readme(summary, models, clock.now()))
    audit.record_export(db, audit.What(EXPORT_RESOURCE))
    return summary


def export_file_name() -> str:
    return f"unclench-my-data-{clock.today().isoformat()}.zip"


# --- deletion ------------------------------------------------------------------------------------------------


@dataclass
class Deletion:
    """What a deletion removed from the database, and the files it may remove once that has committed."""

    person_id: int
    account_deleted: bool
    rows: dict[str, int] = field(default_factory=dict)
    candidates: list[tuple[FileReference, str]] = field(default_factory=list)
    # Names the person's sessions spoke → those sessions' options: their phrases in the voice's cache say the name.
    spoken_names: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


NOTHING_DELETED = "Nothing was deleted."


def _check_request(db: Session, data: object) -> int:
    """The caller's person, once the confirmation word (and on a clinic the password) is right; else every problem."""
    caller = caller_of(db)
    if caller.person_id is None:
        raise UserInputError.single(
            "confirm", f"This account keeps no diary, so there is no data of yours here. {NOTHING_DELETED}"
        )
    valid = parse_input(DeleteIn, data)
    problems = []
    if valid.confirm != CONFIRM_WORD:
        typed = f" You typed “{valid.confirm}”." if valid.confirm else ""
        problems.append(
            FieldProblem("confirm", f"Type {CONFIRM_WORD} in capital letters to confirm.{typed} {NOTHING_DELETED}")
        )
    if caller.kind == "account":
        if not valid.password:
            problems.append(FieldProblem("password", f"Type your password to confirm it is you. {NOTHING_DELETED}"))
        elif caller.account_id is None or not logins.account_password_matches(db, caller.account_id, valid.password):
            problems.append(FieldProblem("password", f"That is not your password. {NOTHING_DELETED}"))
    if problems:
        raise UserInputError(problems)
    return caller.person_id


def delete_everything(db: Session, data: object) -> Deletion:
    """Delete every row the caller's person owns, in every table, and what accounts keeps about them.

    On a clinic the account goes too (sign-in, sessions, second factor, resets, invitations) and the person row;
    on a person's own computer the one person stays, with nothing. All in the caller's transaction: the request or
    command commits once, and only then `remove_files` deletes the files no one else's rows name. The audit log
    keeps its entries (they are hash-chained) and gains one that says the data was deleted.
    """
    person_id = _check_request(db, data)
    caller = caller_of(db)
    clinic_account = caller.kind == "account"
    deletion = Deletion(person_id, account_deleted=clinic_account)
    for reference in file_references():
        deletion.candidates += [(reference, value) for value in sorted(_owned_values(db, reference))]
    deletion.spoken_names = sessions.spoken_names(db)
    db.flush()
    db.expunge_all()  # the rows go by bulk statements; nothing stale stays in the session
    for model in reversed(owned_models()):  # children first, so no foreign key is left pointing at a deleted row
        result = db.execute(delete(model).execution_options(synchronize_session=False))
        deletion.rows[_table(model).name] = int(getattr(result, "rowcount", 0) or 0)
    people.forget_person(db, person_id, keep_person=not clinic_account)
    what = audit.What("account", str(caller.account_id)) if clinic_account else audit.What("data", str(person_id))
    audit.record(db, "person_deleted", subject_person_id=person_id, what=what)
    return deletion


def remove_files(deletion: Deletion) -> list[Path]:
    """After the deletion committed: remove each candidate's files unless a row of anyone's still names them.

    And the voice's cached phrases that speak the person's name, unless someone else's session speaks it too.
    """
    removed: list[Path] = []
    with session_scope() as db:
        for reference, value in deletion.candidates:
            table = Base.metadata.tables[reference.table]
            # Core, not ORM: this must see every person's rows, not only the caller's.
            still_named = db.execute(
                select(table.c[reference.column]).where(table.c[reference.column] == value).limit(1)
            )
            if still_named.first() is not None:
                continue
            files = reference.files(value)
            for path in files:
                path.unlink(missing_ok=True)
            removed += files
        if deletion.spoken_names:
            still_spoken = sessions.names_anyone_speaks(db)
            for name, options in deletion.spoken_names.items():
                if name not in still_spoken:
                    phrases = {path for one in options for path in sessions.name_phrase_files(one)}
                    for path in phrases:
                        path.unlink(missing_ok=True)
                    removed += sorted(phrases)
    _remove_empty_folders(removed, get_settings().data_dir)
    return removed


def _remove_empty_folders(paths: list[Path], data_dir: Path) -> None:
    """A rendered session's folder once its files are gone (never a kind's own folder such as audio/ or emg/)."""
    for folder in {path.parent for path in paths}:
        if folder.parent != data_dir:
            with contextlib.suppress(OSError):  # not empty: a file someone else's render is writing
                folder.rmdir()
