"""Every page of the demo diary in real Chromium: at a phone and a desktop size, in the light and the night theme.

The pages are the GET routes of the app's own route table (not /api), filled with real ids from the demo
diary, so a new page is walked without editing this file (a route with an id this file cannot fill fails
the test until it is named here). On each page: axe-core (vendored under tests/web/vendor, never served)
finds no serious or critical violation, the browser logs no console error, and a screenshot is kept under
the pytest tmp dir (or UNCLENCH_A11Y_SHOTS). Internal links are checked once, over plain HTTP.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import time_machine
from fastapi.routing import APIRoute

from tests.conftest import DEFAULT_MOMENT, serving_app
from unclench.core import clock
from unclench.core import db as core_db
from unclench.core.migrate import upgrade_database
from unclench.core.settings import reset_settings_cache

pytestmark = pytest.mark.xdist_group("browser")

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
EMG_FILE = Path(__file__).resolve().parents[1] / "emg" / "data" / "emg_bursts.csv"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
THEMES = {"light": "light", "night": "dark"}  # our theme name -> the prefers-color-scheme Chromium emulates
# Routes that are not pages: files, fragments polled by htmx, and job pages that exist only while a job runs.
NOT_PAGES = {
    "/sessions/{session_id}/progress",
    "/sessions/right-now",
    "/programme/due",
    "/sessions/{session_id}/files/{name}",
    "/sessions/{session_id}/adaptive/{name}",
    "/sessions/{session_id}/adaptive/clips/{name}",
    "/emg/{recording_id}/plot.png",
    "/emg/jobs/{job_id}",
    "/emg/sessions/{session_id}/panel",
    "/reports/report.pdf",
    "/reports/bundle.json",
    "/reports/diary-csv.zip",
    "/privacy/access-log/audit-events.json",
    "/privacy/data/export.zip",
    "/favicon.ico",
    "/sw.js",
}


@dataclass(frozen=True)
class DemoSite:
    url: str
    pages: list[str]


def _page_routes() -> list[str]:
    """Every GET route path the app serves outside /api, in the order the app registers them."""
    from unclench.web.app import create_app

    found: list[str] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI >= 0.120 wraps included routers
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute) and "GET" in route.methods and not route.path.startswith("/api"):
                found.append(route.path)

    walk(create_app().routes)
    return found


def _fill_demo(days: int) -> dict[str, str]:
    """The demo person (as `unclench demo` makes them), a session and an EMG recording; ids for the URL params."""
    from sqlalchemy import select

    from unclench.accounts import devices
    from unclench.diary import demo as diary_demo
    from unclench.diary.models import Episode
    from unclench.emg import service as emg_service
    from unclench.screening import demo as screening_demo
    from unclench.screening import service as screening_service
    from unclench.sessions import service as sessions_service
    from unclench.sessions.schemas import SessionOptions
    from unclench.stress import demo as stress_demo
    from unclench.stress import service as stress_service

    with core_db.session_scope() as db:
        summary = diary_demo.create_demo_person(db, days=days, seed=7)
        for extend in (screening_demo.extend_demo, stress_demo.extend_demo):
            extend(db, seed=7, first_day=summary.first_day, last_day=summary.last_day)
        episode = db.scalars(select(Episode).order_by(Episode.started_at.desc())).first()
        assert episode is not None
        triage = screening_service.latest_triage(db)
        assert triage is not None
        pss = stress_service.questionnaire_history(db, "pss10")
        session = sessions_service.create_session(db, SessionOptions(minutes=10))
        programme = _demo_programme(db)
        recording = emg_service.import_file(db, path=EMG_FILE)
        listen = _listen_with_a_recording(db)
        # The page a phone opens from the pairing code (walked from this computer, which may open it too).
        pairing = devices.create_pairing_link(db)
        return {
            "token": pairing.token,
            "episode_id": episode.id,
            "result_id": triage.id,
            "response_id": pss[-1].id,
            "slug": "pss",
            "session_id": session.id,
            "recording_id": recording.id,
            "listen_id": listen,
            "programme_id": programme.id,
        }


def _listen_with_a_recording(db: Any) -> str:
    """A listen of a 4-minute session with a recording tied to it (tone falling over the session): its page has
    the tone chart and the per-part table."""
    from datetime import timedelta

    from tests.emg.listen_fixtures import FS, listen_with_chapters, tone_steps
    from unclench.core.settings import get_settings
    from unclench.emg import service as emg_service
    from unclench.emg.readers import write_edf

    listen = listen_with_chapters(db, minutes=4, started_at=clock.now() - timedelta(minutes=6))
    truth = tone_steps([6.0, 6.0, 4.5, 3.0, 3.0], 60.0, seed=21)
    start = (listen.started_at - timedelta(seconds=60)).astimezone(clock.zone()).replace(tzinfo=None)
    path = get_settings().artefact_dir("emg-uploads") / "jaw-during-session.edf"
    write_edf(path, truth.signal[None, :], FS, ["jaw"], start=start)
    emg_service.import_file(db, path=path, listen_id=listen.id, regions={"jaw": emg_service.RegionChoice("jaw")})
    path.unlink()
    return str(listen.id)


def _demo_programme(db: Any) -> Any:
    """A programme running today (its session is queued, not recorded: no page here plays it)."""
    from datetime import timedelta
    from unittest.mock import patch

    from unclench.core.validation import parse_input
    from unclench.sessions import programmes
    from unclench.sessions import service as sessions_service
    from unclench.sessions.schemas import ProgrammeForm

    today = clock.today()
    form = {
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(weeks=6)).isoformat(),
        "checkin": "daily",
        "questionnaire": "pss10",
        "emg_per_week": "3",
        "emg_region": "jaw:left",
        "items": [{"minutes": "5", "technique": "breathing", "per_week": "7"}],
    }
    with patch.object(sessions_service, "start_render", lambda *args, **kwargs: None):
        programme, _ = programmes.save_programme(db, parse_input(ProgrammeForm, form), today=today)
    return programme


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The app on a fresh SQLite file holding the demo diary, served by uvicorn; made once for the module."""
    root = tmp_path_factory.mktemp("demo-site")
    url = f"sqlite:///{root / 'demo.db'}"
    with pytest.MonkeyPatch.context() as env, time_machine.travel(DEFAULT_MOMENT.instant, tick=False):
        env.setenv("UNCLENCH_DATABASE_URL", url)
        env.setenv("UNCLENCH_DATA_DIR", str(root / "data"))
        env.setenv("UNCLENCH_TIMEZONE", DEFAULT_MOMENT.timezone)
        env.delenv("UNCLENCH_NOW", raising=False)
        reset_settings_cache()
        clock.reset()
        core_db.dispose_engines()
        upgrade_database(url)
        ids = _fill_demo(days=120)
        pages = []
        for path in _page_routes():
            if path in NOT_PAGES:
                continue
            names = re.findall(r"{(\w+)}", path)
            missing = [n for n in names if n not in ids]
            assert not missing, f"{path}: name a demo value for {missing} in _fill_demo, or add it to NOT_PAGES"
            pages.append(re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path))
        with serving_app() as site:
            yield DemoSite(url=site, pages=pages)
        core_db.dispose_engines()
        reset_settings_cache()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("UNCLENCH_A11Y_SHOTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("a11y-shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _slug(page_path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", page_path.lower()).strip("-") or "home"


def _serious(violations: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """How many elements fail a serious or critical rule, and a few lines naming them."""
    lines, count = [], 0
    for v in violations:
        if v.get("impact") in ("serious", "critical"):
            count += len(v["nodes"])
            for node in v["nodes"][:4]:
                lines.append(f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:160]!r}")
            if len(v["nodes"]) > 4:
                lines.append(f"{v['id']}: … {len(v['nodes']) - 4} more")
    return count, lines


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_passes_axe_without_console_errors(
    browser: Any, demo_site: DemoSite, shots: Path, size: str, theme: str
) -> None:
    axe = AXE.read_text(encoding="utf-8")
    context = browser.new_context(
        base_url=demo_site.url,
        viewport=SIZES[size],
        color_scheme=THEMES[theme],
        bypass_csp=True,  # lets the test inject axe under the app's strict Content-Security-Policy
    )
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: (
            errors.append(f"{page.url}: {msg.text} {msg.location.get('url', '')}") if msg.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    problems: dict[str, list[str]] = {}
    count = 0
    try:
        for path in demo_site.pages:
            response = page.goto(path, wait_until="load")
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            assert page.evaluate("document.documentElement.dataset.theme || 'auto'") == "auto"
            page.add_script_tag(content=axe)
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            failing, found = _serious(result["violations"])
            count += failing
            if found:
                problems[path] = found
            page.screenshot(path=str(shots / f"{size}-{theme}-{_slug(path)}.png"), full_page=True)
    finally:
        context.close()
    report = "\n".join(f"{p}:\n  " + "\n  ".join(lines) for p, lines in problems.items())
    assert not errors and not problems, f"{count} serious/critical on {len(problems)} pages\n{report}\n{errors}"


# href/src attribute values as a browser reads them: in an attribute, "&region=" stays as written (no "&reg;").
LINK_ATTRIBUTE = re.compile(r"""<(?:a|link|script|img|iframe)\b[^>]*?\s(?:href|src)=["']([^"']+)["']""", re.IGNORECASE)


def _links(html: str) -> list[str]:
    return [m.group(1).replace("&amp;", "&") for m in LINK_ATTRIBUTE.finditer(html)]


def test_no_internal_link_is_broken(demo_site: DemoSite) -> None:
    """Each same-origin href, src or stylesheet on every page answers 200 (each one fetched once)."""
    checked: dict[str, int] = {}
    broken = []
    with httpx.Client(base_url=demo_site.url, timeout=60) as http:
        for path in demo_site.pages:
            response = http.get(path)
            assert response.status_code == 200, path
            for href in _links(response.text):
                target = urljoin(demo_site.url + path, href)
                parts = urlsplit(target)
                if target.startswith(("mailto:", "tel:", "data:")) or parts.netloc != urlsplit(demo_site.url).netloc:
                    continue
                key = parts.path + (f"?{parts.query}" if parts.query else "")
                if key not in checked:
                    checked[key] = http.get(key).status_code
                if checked[key] != 200:
                    broken.append(f"{path} -> {href}: {checked[key]}")
    assert len(checked) > 20
    assert not broken, broken


def test_chart_text_is_at_least_12px_on_a_phone(browser: Any, demo_site: DemoSite) -> None:
    """The insights and stress charts are drawn at their own size on a phone (scrolled sideways), never shrunk."""
    context = browser.new_context(base_url=demo_site.url, viewport=SIZES["phone"])
    page = context.new_page()
    try:
        for path, charts in (
            ("/insights", ("svg.forest", "svg.calendar")),
            ("/stress", ("svg.pss-chart",)),
            (next(p for p in demo_site.pages if p.startswith("/emg/listens/")), ("svg.tone-chart",)),
        ):
            page.goto(path)
            for chart in charts:
                smallest = page.evaluate(
                    """(selector) => {
                      const svg = document.querySelector(selector);
                      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                      return Math.min(...[...svg.querySelectorAll('text')]
                        .map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
                    }""",
                    chart,
                )
                assert smallest >= 12, f"{path} {chart}: text drawn at {smallest:.1f} px"
    finally:
        context.close()
