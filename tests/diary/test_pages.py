"""Diary pages through the app: a calendar day opens that day only; Undo on home stays on home."""

from __future__ import annotations

from datetime import UTC, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.validation import parse_input
from unclench.diary import service
from unclench.diary.schemas import EpisodeIn


def _episode(db: Session, days_ago: int, region: str) -> str:
    started = clock.now().astimezone(UTC) - timedelta(days=days_ago, hours=1)
    data = {"started_at": started, "timezone": "UTC", "kind": "cramp", "intensity": 5, "regions": [{"region": region}]}
    return service.create_episode(db, parse_input(EpisodeIn, data)).id


def test_a_calendar_day_links_to_that_day_alone(client: TestClient, db: Session) -> None:
    _episode(db, 2, "calf")
    _episode(db, 3, "jaw")
    _episode(db, 400, "neck_back")
    db.commit()
    chosen = (clock.now().astimezone(UTC) - timedelta(days=2, hours=1)).date()
    calendar = client.get("/calendar", params={"month": chosen.strftime("%Y-%m")})
    link = f"/timeline?day={chosen.isoformat()}&region=&kind="
    assert link in calendar.text and "days=3650" not in calendar.text
    page = client.get(link)
    assert page.status_code == 200
    assert chosen.strftime("%A %d %B %Y") in page.text and "1 episode on this day" in page.text
    days_shown = page.text.split('class="card day-block"')[1:]
    assert len(days_shown) == 1 and days_shown[0].count('class="episode-item"') == 1 and "Calf" in days_shown[0]
    assert client.get("/timeline", params={"day": "soon"}).status_code == 422
    assert client.get("/timeline", params={"day": "2999-01-01"}).status_code == 422


def test_undo_on_home_stays_on_home_and_shows_the_undone_state(client: TestClient, db: Session) -> None:
    episode_id = _episode(db, 0, "calf")
    db.commit()
    undone = client.post(f"/episodes/{episode_id}/delete", data={"next": "/"}, follow_redirects=False)
    assert undone.status_code == 303 and undone.headers["location"] == f"/?deleted={episode_id}"
    home = client.get(undone.headers["location"])
    assert "Undone: that entry is not in your diary." in home.text and "Keep it after all" in home.text
    assert "1 episode logged today" not in home.text
    kept = client.post(f"/episodes/{episode_id}/restore", data={"next": "/"}, follow_redirects=False)
    assert kept.headers["location"] == f"/?saved={episode_id}"
    assert "1 episode logged today" in client.get("/").text
    # Elsewhere (the timeline's own buttons) the default stays; a foreign `next` is never followed.
    assert client.post(f"/episodes/{episode_id}/delete", follow_redirects=False).headers["location"] == (
        f"/timeline?deleted={episode_id}"
    )
    foreign = client.post(f"/episodes/{episode_id}/restore", data={"next": "//evil.example/"}, follow_redirects=False)
    assert foreign.headers["location"] == f"/timeline?saved={episode_id}"
