"""JSON API for the diary under /api (episodes, check-ins, custom factors, body regions)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query, Response

from unclench.body.taxonomy import all_regions, get_region
from unclench.core.errors import NotFoundError
from unclench.core.web_db import DbSession
from unclench.diary import service
from unclench.diary.schemas import (
    CheckInIn,
    CheckInOut,
    EpisodeClose,
    EpisodeIn,
    EpisodeKind,
    EpisodeOut,
    FactorIn,
    FactorOut,
)

router = APIRouter(prefix="/api", tags=["diary"])


@router.get("/regions", summary="Body regions and the muscles under them")
def regions() -> list[dict[str, object]]:
    return [
        {
            "id": r.id,
            "label": r.label,
            "group": r.group,
            "views": list(r.views),
            "sides": list(r.allowed_sides),
            "muscles": [{"id": m.id, "name": m.name} for m in r.muscles],
        }
        for r in all_regions()
    ]


@router.get("/episodes", response_model=list[EpisodeOut], summary="Episodes, newest first")
def list_episodes(
    db: DbSession,
    start: datetime | None = Query(None, description="Only episodes starting at or after this time"),
    end: datetime | None = Query(None, description="Only episodes starting before this time"),
    region: str | None = Query(None, description="Region id, see /api/regions"),
    kind: EpisodeKind | None = None,
    limit: int = Query(500, ge=1, le=10000),
) -> list[EpisodeOut]:
    if region:
        get_region(region)  # an unknown region is a 422 listing the known ones, as on the diary page
    return [
        EpisodeOut.model_validate(e)
        for e in service.list_episodes(db, start=start, end=end, region=region, kind=kind, limit=limit)
    ]


@router.post("/episodes", response_model=EpisodeOut, status_code=201, summary="Log an episode")
def create_episode(data: EpisodeIn, db: DbSession) -> EpisodeOut:
    return EpisodeOut.model_validate(service.create_episode(db, data))


@router.get("/episodes/{episode_id}", response_model=EpisodeOut)
def get_episode(episode_id: str, db: DbSession) -> EpisodeOut:
    return EpisodeOut.model_validate(service.get_episode(db, episode_id))


@router.put("/episodes/{episode_id}", response_model=EpisodeOut, summary="Replace an episode's details")
def update_episode(episode_id: str, data: EpisodeIn, db: DbSession) -> EpisodeOut:
    return EpisodeOut.model_validate(service.update_episode(db, episode_id, data))


@router.post("/episodes/{episode_id}/close", response_model=EpisodeOut, summary="End an episode that was still going")
def close_episode(episode_id: str, data: EpisodeClose, db: DbSession) -> EpisodeOut:
    return EpisodeOut.model_validate(service.close_episode(db, episode_id, data.ended_at))


@router.delete("/episodes/{episode_id}", status_code=204, summary="Move an episode to the bin (undo with /restore)")
def delete_episode(episode_id: str, db: DbSession) -> Response:
    service.delete_episode(db, episode_id)
    return Response(status_code=204)


@router.post("/episodes/{episode_id}/restore", response_model=EpisodeOut, summary="Undo a delete")
def restore_episode(episode_id: str, db: DbSession) -> EpisodeOut:
    return EpisodeOut.model_validate(service.restore_episode(db, episode_id))


@router.get("/heatmap", summary="Episode counts per region and side in a period")
def heatmap(db: DbSession, start: datetime | None = None, end: datetime | None = None) -> list[dict[str, object]]:
    counts = service.region_side_counts(db, start=start, end=end)
    return [{"region": region, "side": side, "count": n} for (region, side), n in sorted(counts.items())]


@router.get("/checkins", response_model=list[CheckInOut])
def list_checkins(db: DbSession, start: date | None = None, end: date | None = None) -> list[CheckInOut]:
    return [service.checkin_out(c) for c in service.list_checkins(db, start=start, end=end)]


@router.get("/checkins/{day}", response_model=CheckInOut)
def get_checkin(day: date, db: DbSession) -> CheckInOut:
    checkin = service.get_checkin(db, day)
    if checkin is None:
        raise NotFoundError(f"No check-in for {day.isoformat()}.")
    return service.checkin_out(checkin)


@router.put("/checkins", response_model=CheckInOut, summary="Create or replace the check-in for a day")
def put_checkin(data: CheckInIn, db: DbSession) -> CheckInOut:
    return service.checkin_out(service.upsert_checkin(db, data))


@router.get("/factors", response_model=list[FactorOut])
def list_factors(db: DbSession) -> list[FactorOut]:
    return [FactorOut.model_validate(f) for f in service.list_factors(db)]


@router.post("/factors", response_model=FactorOut, status_code=201, summary="Add one of your own factors")
def create_factor(data: FactorIn, db: DbSession) -> FactorOut:
    return FactorOut.model_validate(service.create_factor(db, data))


@router.delete("/factors/{factor_id}", status_code=204, summary="Stop tracking a factor (its history stays)")
def archive_factor(factor_id: str, db: DbSession) -> Response:
    service.archive_factor(db, factor_id)
    return Response(status_code=204)
