"""The doctor's report (HTML → PDF → PNG pages), the FHIR export, the builder page, the CLI."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import FrozenClock
from unclench.cli import app
from unclench.core.errors import UserInputError
from unclench.diary import service as diary
from unclench.reports import fhir, service

runner = CliRunner()


def _pdf_pages(pdf: bytes, folder: Path, stem: str) -> list[Path]:
    """PDF → PNG pages with poppler's pdftoppm (installed by `make test`)."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install Debian poppler-utils (make system-deps)")
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(source), str(folder / stem)], check=True)
    return sorted(folder.glob(f"{stem}-*.png"))


def _pdf_text(pdf: bytes, tmp_path: Path, page: int) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(source), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_full_report_is_one_or_two_pages_each_saying_self_reported(
    db: Session, small_diary: date, tmp_path: Path, screenshot_dir: Path
) -> None:
    options = service.parse_options(small_diary, None)
    pdf = service.render_pdf(db, options)
    assert pdf.startswith(b"%PDF")
    pages = _pdf_pages(pdf, screenshot_dir / "reports", f"doctor-report-{db.bind.dialect.name}")  # type: ignore[union-attr]
    assert 1 <= len(pages) <= 2
    assert all(page.stat().st_size > 10_000 for page in pages)
    for number in range(1, len(pages) + 1):
        text = _pdf_text(pdf, tmp_path, number)
        assert "Self-reported by the patient" in text
        assert f"Page {number} of {len(pages)}" in text
    first_page = _pdf_text(pdf, tmp_path, 1)
    assert "Summary numbers" in first_page and "Where on the body" in first_page
    everything = "".join(_pdf_text(pdf, tmp_path, n) for n in range(1, len(pages) + 1))
    assert "atorvastatin" in everything.lower()
    assert "Factors with evidence" in everything and "Practice and its effect" in everything


def test_report_contents_follow_the_chosen_sections(db: Session, small_diary: date) -> None:
    options = service.parse_options(small_diary, None, "summary,kinds")
    report = service.build_report(db, options)
    html = service.render_html(report)
    assert "Summary numbers" in html and "Kinds and durations" in html
    assert "Where on the body" not in html and "Factors with evidence" not in html
    episodes = diary.list_episodes(db)
    assert report.context["summary"]["episodes"] == len(episodes)
    assert sum(k["count"] for k in report.context["kinds"]) == len(episodes)
    full = service.build_report(db, service.parse_options(small_diary, None))
    statin = next(m for m in full.context["medications"] if m["name"] == "atorvastatin")
    assert statin["since"] == small_diary + timedelta(days=20)
    assert statin["timing"].startswith("first noted on day 21 of this period: ")
    assert " a week in the 20 days before, " in statin["timing"] and "in the 28 days after" in statin["timing"]
    if statin["match"] is not None:  # the screening knowledge base knows statins
        assert statin["match"]["effect"]
    safety = full.context["safety"]
    if safety is not None:  # the screening domain is there: its triage and all-clear reach the report
        assert safety["triage"]["level"] == "self_care" and safety["triage"]["title"]
        assert safety["all_clear"]["note"] == "bloods normal"
        html = service.render_html(full)
        assert safety["triage"]["title"] in html and "bloods normal" in html


def test_bad_options_and_an_empty_period(db: Session, small_diary: date, tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="unknown section"):
        service.parse_options(None, None, "summary,horoscope")
    with pytest.raises(UserInputError, match="before its start"):
        service.parse_options("2026-03-01", "2026-02-01")
    with pytest.raises(UserInputError, match="not a date"):
        service.parse_options("last week", None)
    with pytest.raises(UserInputError, match="at most 10 years"):
        service.parse_options("2000-01-01", "2026-01-01")
    empty_first = small_diary - timedelta(days=400)
    options = service.parse_options(empty_first, empty_first + timedelta(days=29))
    pdf = service.render_pdf(db, options)
    assert "No episodes were logged in this period" in _pdf_text(pdf, tmp_path, 1)


def test_fhir_bundle_is_valid_and_carries_every_episode(db: Session, small_diary: date) -> None:
    from fhir.resources.R4B.bundle import Bundle

    bundle = fhir.fhir_bundle(db, service.parse_options(small_diary, None))
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert len(observations) == len(diary.list_episodes(db))
    first = observations[0]
    assert first["bodySite"]["coding"][0]["system"] == fhir.REGION_SYSTEM
    assert first["bodySite"]["coding"][0]["code"] in {"calf", "eyelid", "neck_back", "jaw"}
    codes = [c["code"]["coding"][0]["code"] for c in first["component"]]
    assert codes == ["severity", "72514-3", "duration"]
    assert first["component"][2]["valueQuantity"]["code"] == "s"
    assert "effectivePeriod" in first
    responses = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert len(responses) == 1 and responses[0]["questionnaire"].endswith("/pss10")
    assert responses[0]["item"][-1]["answer"][0]["valueInteger"] == 23  # items 4, 5, 7, 8 reversed
    patient = bundle["entry"][0]
    assert patient["resource"]["resourceType"] == "Patient"
    assert all(e["resource"]["subject"]["reference"] == patient["fullUrl"] for e in bundle["entry"][1:])
    broken = json.loads(json.dumps(bundle))
    del broken["entry"][1]["resource"]["code"]  # Observation.code is required
    with pytest.raises(ValidationError):
        fhir.validate_bundle(broken)
    broken = json.loads(json.dumps(bundle))
    broken["entry"][1]["resource"]["effectivePeriod"]["start"] = "yesterday"
    with pytest.raises(ValidationError):
        fhir.validate_bundle(broken)


def test_report_builder_preview_downloads_and_csv(client: TestClient, db: Session, small_diary: date) -> None:
    page = client.get("/reports", params={"first": small_diary.isoformat()})
    assert page.status_code == 200
    assert '<iframe class="report-preview"' in page.text and "/reports/diary-csv.zip" in page.text
    preview = client.get("/reports/preview", params={"first": small_diary.isoformat(), "sections": ["summary"]})
    assert preview.status_code == 200 and "self-reported" in preview.text and "Calendar" not in preview.text
    pdf = client.get("/reports/report.pdf", params={"first": small_diary.isoformat()})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    bundle = client.get("/reports/bundle.json", params={"first": small_diary.isoformat()})
    assert bundle.status_code == 200 and bundle.json()["resourceType"] == "Bundle"
    assert client.get("/api/reports/fhir").json()["type"] == "collection"
    archive = zipfile.ZipFile(io.BytesIO(client.get("/reports/diary-csv.zip").content))
    assert "episodes.csv" in archive.namelist()
    bad = client.get("/api/reports/fhir", params={"first": "soon"})
    assert bad.status_code == 422 and "not a date" in bad.text
    assert client.get("/reports", params={"sections": ["nope"]}).status_code in (400, 422)


def test_report_cli(app_env: Path, db: Session, small_diary: date, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", "--from", small_diary.isoformat(), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    bundle = tmp_path / "bundle.json"
    result = runner.invoke(app, ["report", "--fhir", str(bundle), "--kind", "cramp"])
    assert result.exit_code == 0, result.output
    entries = [e["resource"] for e in json.loads(bundle.read_text())["entry"]]
    kinds = {r["code"]["coding"][0]["code"] for r in entries if r["resourceType"] == "Observation"}
    assert kinds == {"cramp"}
    both = runner.invoke(app, ["report", "--pdf", str(pdf), "--fhir", str(bundle)])
    assert both.exit_code == 2 and "exactly one" in both.output
    nowhere = runner.invoke(app, ["report", "--pdf", str(tmp_path / "missing" / "r.pdf")])
    assert nowhere.exit_code == 2 and "does not exist" in " ".join(nowhere.output.split())


def test_listens_become_valid_procedures() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    listen = SimpleNamespace(
        id="b" * 32,
        started_at=datetime(2026, 3, 1, 20, tzinfo=UTC),
        finished_at=None,
        heard_s=900.0,
        tension_before=7,
        tension_after=3,
        session=SimpleNamespace(options={"technique": "body_scan"}),
    )
    procedure = fhir.listen_procedure(listen, "urn:uuid:00000000-0000-4000-8000-000000000001")
    assert procedure["performedPeriod"] == {"start": "2026-03-01T20:00:00Z", "end": "2026-03-01T20:15:00Z"}
    assert "before: 7, after: 3" in procedure["note"][0]["text"]
    fhir.validate_bundle({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": procedure}]})


def test_a_misspelled_medicine_reaches_the_doctor_under_its_name(db: Session) -> None:
    from unclench.core import clock
    from unclench.core.validation import parse_input
    from unclench.diary.schemas import CheckInIn
    from unclench.screening import service as screening

    day = clock.today() - timedelta(days=3)
    diary.upsert_checkin(db, parse_input(CheckInIn, {"day": day, "stress": 4, "medications": ["atorvastatn"]}))
    screening.add_medication(db, "omeprazol")
    screening.add_medication(db, "atorvastatin")  # on the list too: one row
    db.flush()
    report = service.build_report(db, service.parse_options(day - timedelta(days=7), None))
    rows = {m["name"]: m for m in report.context["medications"]}
    assert set(rows) == {"atorvastatin", "omeprazole"}
    assert rows["atorvastatin"]["typed"] == "atorvastatn" and rows["atorvastatin"]["match"]["effect"]
    assert rows["omeprazole"]["match"] is None
    html = service.render_html(report)
    assert "written “atorvastatn”" in html and ">atorvastatn<" not in html


def test_listens_reach_fhir_with_the_status_of_what_was_heard(db: Session, frozen_clock: FrozenClock) -> None:
    from unclench.core import clock
    from unclench.sessions import service as sessions
    from unclench.sessions.options import SessionOptions

    session = sessions.create_session(db, SessionOptions(minutes=10, technique="breathing"))
    session.duration_s = 600.0
    short = sessions.start_listen(db, session.id)
    sessions.update_listen(db, short.id, heard_s=6, finished=True)  # a 6-second play, stopped
    frozen_clock.shift(timedelta(minutes=15))
    full = sessions.start_listen(db, session.id)
    sessions.update_listen(db, full.id, heard_s=181, finished=True)
    frozen_clock.shift(timedelta(minutes=5))
    playing = sessions.start_listen(db, session.id)
    sessions.update_listen(db, playing.id, heard_s=6)  # still playing, not finished
    db.commit()
    options = service.parse_options(clock.today() - timedelta(days=1), None)

    def statuses() -> dict[str, str]:
        bundle = fhir.fhir_bundle(db, options)  # validated as FHIR R4
        procedures = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"]
        return {p["id"]: p["status"] for p in procedures}

    assert statuses() == {short.id: "stopped", full.id: "completed", playing.id: "in-progress"}
    frozen_clock.shift(timedelta(minutes=11))  # longer than the session: that play has stopped
    assert statuses()[playing.id] == "stopped"
