"""Property tests (Hypothesis): any diary survives export → import → export unchanged; any file gives a result or a message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.validation import EARLIEST_DAY, parse_input
from unclench.diary import csvio, service
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn

# Short runs: the whole suite has to stay well inside CI time on two cores.
QUICK = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
FILES = (csvio.EPISODES_FILE, csvio.CHECKINS_FILE, csvio.FACTORS_FILE)
# Text a person can type: any Unicode except surrogates and NUL (which no database column stores).
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
REGIONS = st.sampled_from([("calf", "left"), ("calf", "right"), ("jaw", "both"), ("eyelid", "left")])
NOW = datetime(2026, 3, 1, 12, 0)


@st.composite
def episodes(draw: st.DrawFn) -> dict[str, Any]:
    ongoing = draw(st.booleans())
    return {
        "started_at": draw(st.datetimes(min_value=datetime(1900, 1, 2), max_value=NOW)),
        "timezone": draw(st.sampled_from(["Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "UTC"])),
        "duration_s": None if ongoing else draw(st.none() | st.integers(0, 3600 * 24)),
        "ongoing": ongoing,
        "kind": draw(st.sampled_from(["twitch", "tic", "cramp", "spasm", "tension"])),
        "intensity": draw(st.integers(0, 10)),
        "pain": draw(st.integers(0, 10)),
        "regions": [{"region": r, "side": s} for r, s in draw(st.lists(REGIONS, min_size=1, max_size=3, unique=True))],
        "helped": draw(TEXT),
        "notes": draw(TEXT),
    }


@st.composite
def checkins(draw: st.DrawFn, factor_names: list[str]) -> dict[str, Any]:
    number = st.none() | st.floats(0, 24, allow_nan=False)
    return {
        "day": draw(st.dates(min_value=EARLIEST_DAY, max_value=NOW.date())),
        "stress": draw(st.none() | st.integers(0, 10)),
        "sleep_hours": draw(number),
        "sitting_hours": draw(number),
        "exercise_type": draw(TEXT),
        "notes": draw(TEXT),
        "medications": draw(st.lists(TEXT.filter(lambda m: ";" not in m), max_size=3)),
        "factors": {name: draw(st.integers(0, 1)) for name in factor_names if draw(st.booleans())},
    }


@st.composite
def diaries(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    factors = draw(st.lists(st.fixed_dictionaries({"name": TEXT, "kind": st.just("yesno"), "unit": TEXT}), max_size=3))
    valid_factors = []
    for factor in factors:
        try:
            valid_factors.append(FactorIn.model_validate(factor))
        except ValueError:
            continue
    names = list(dict.fromkeys(f.name for f in valid_factors))
    days = draw(st.lists(checkins(names), max_size=4, unique_by=lambda c: c["day"]))
    return draw(st.lists(episodes(), max_size=5)), days, [f.model_dump() for f in valid_factors]


def _store(db: Session, diary: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    episode_rows, checkin_rows, factor_rows = diary
    seen: set[str] = set()
    for factor in factor_rows:
        if factor["name"] not in seen:
            seen.add(factor["name"])
            service.create_factor(db, FactorIn.model_validate(factor))
    for raw in episode_rows:
        service.create_episode(db, parse_input(EpisodeIn, raw))
    for raw in checkin_rows:
        try:
            data = parse_input(CheckInIn, raw)
        except UserInputError:
            continue  # e.g. a text that is too long once stripped: not a diary the app can hold
        service.upsert_checkin(db, data)
    db.flush()


@QUICK
@given(diary=diaries())
def test_any_diary_survives_export_import_export(db: Session, tmp_path_factory: Any, diary: Any) -> None:
    folder = tmp_path_factory.mktemp("export")
    try:
        _store(db, diary)
        csvio.export_diary(db, folder / "first")
        db.rollback()  # an empty diary again: nothing was committed
        csvio.import_diary(db, folder / "first")
        csvio.export_diary(db, folder / "second")
    finally:
        db.rollback()
    for name in FILES:
        assert (folder / "first" / name).read_bytes() == (folder / "second" / name).read_bytes(), name


CSV_ALPHABET = st.sampled_from([*",\"\n\r;:= '-+@0123456789abcyesnoTZ\x00\xe9", "calf:left", "2026-01-01"])
HEADERS = {
    csvio.EPISODES_FILE: ",".join(csvio.EPISODE_COLUMNS),
    csvio.CHECKINS_FILE: ",".join(["day", *service.CHECKIN_FIELDS, "custom:a"]),
    csvio.FACTORS_FILE: ",".join(csvio.FACTOR_COLUMNS),
}


@QUICK
@given(
    name=st.sampled_from(FILES),
    keep_header=st.booleans(),
    body=st.lists(CSV_ALPHABET, max_size=200).map("".join),
    raw=st.binary(max_size=64),
)
def test_any_file_imports_or_gives_a_message(
    db: Session, tmp_path_factory: Any, name: str, keep_header: bool, body: str, raw: bytes
) -> None:
    folder = tmp_path_factory.mktemp("import")
    header = (HEADERS[name] + "\n") if keep_header else ""
    (folder / name).write_bytes(header.encode() + body.encode() + raw)
    if name == csvio.FACTORS_FILE:
        (folder / csvio.CHECKINS_FILE).write_text("day\n")
    try:
        csvio.import_diary(db, folder)
    except UserInputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    finally:
        db.rollback()


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "started_at": JSONISH | st.datetimes().map(str),
            "timezone": JSONISH,
            "duration_s": JSONISH,
            "kind": JSONISH | st.just("cramp"),
            "intensity": JSONISH,
            "regions": JSONISH | st.just([{"region": "calf", "side": "left"}]),
            "day": JSONISH | st.dates().map(str),
            "medications": JSONISH,
            "factors": JSONISH,
        },
    )
)
def test_schemas_accept_or_explain_any_input(data: dict[str, Any]) -> None:
    now = clock.now()
    for schema in (EpisodeIn, CheckInIn):
        try:
            parse_input(schema, data)
        except UserInputError as exc:
            assert exc.problems and all(p.field and p.message for p in exc.problems)
    assert clock.now() - now < timedelta(minutes=5)
