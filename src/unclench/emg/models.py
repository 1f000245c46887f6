"""EMG tables: recordings (raw file kept by content hash), their channels tied to body regions, bursts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, SoftDelete, UTCDateTime, id_column_type, new_id


class EmgRecording(PersonOwned, SoftDelete, Base):
    """One EMG recording: a file (kept under the data folder by its SHA-256) and its summary numbers."""

    __tablename__ = "emg_recording"
    consent_category = "emg"
    # The same file imported twice is one recording of that person's; two people may hold the same file.
    __table_args__ = (UniqueConstraint("person_id", "file_sha256"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(16))  # "file" or "live:<board>"
    original_name: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(80))  # under settings.artefact_dir("emg")
    file_format: Mapped[str] = mapped_column(String(8))  # csv, edf, bdf
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    fs: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # method, parameters, relaxation score
    listen_id: Mapped[str | None] = mapped_column(
        ForeignKey("session_listen.id", ondelete="SET NULL"), index=True, nullable=True
    )
    listen_offset_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Seconds into the recording at which the tied listen's session began (negative: the recording began later)."""
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    channels: Mapped[list[EmgChannel]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", lazy="selectin", order_by="EmgChannel.position"
    )


class EmgChannel(PersonOwned, Base):
    """One channel of a recording, optionally tied to a body region, with its numbers."""

    __tablename__ = "emg_channel"
    consent_category = "emg"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("emg_recording.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[str | None] = mapped_column(String(32), index=True)
    side: Mapped[str | None] = mapped_column(String(8))
    resting_tone_uv: Mapped[float | None] = mapped_column(Float)
    baseline_uv: Mapped[float | None] = mapped_column(Float)
    burst_count: Mapped[int] = mapped_column(Integer, default=0)
    burst_rate_per_min: Mapped[float | None] = mapped_column(Float)
    mains_hz: Mapped[float | None] = mapped_column(Float)
    flat_s: Mapped[float] = mapped_column(Float, default=0.0)
    clipped_s: Mapped[float] = mapped_column(Float, default=0.0)
    motion_s: Mapped[float] = mapped_column(Float, default=0.0)

    recording: Mapped[EmgRecording] = relationship(back_populates="channels")
    bursts: Mapped[list[EmgBurst]] = relationship(
        back_populates="channel", cascade="all, delete-orphan", lazy="selectin", order_by="EmgBurst.onset_s"
    )


class EmgBurst(PersonOwned, Base):
    """A detected burst; ``episode_id`` is set once the person turned it into a diary episode."""

    __tablename__ = "emg_burst"
    consent_category = "emg"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("emg_channel.id", ondelete="CASCADE"), index=True)
    onset_s: Mapped[float] = mapped_column(Float)
    offset_s: Mapped[float] = mapped_column(Float)
    peak_uv: Mapped[float] = mapped_column(Float)
    mean_uv: Mapped[float] = mapped_column(Float)
    clipped: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(12), default="burst")  # twitch, burst or sustained (by duration)
    episode_id: Mapped[str | None] = mapped_column(ForeignKey("episode.id", ondelete="SET NULL"), nullable=True)

    channel: Mapped[EmgChannel] = relationship(back_populates="bursts")
