"""Accounts tables: the people whose data this is (on a person's own computer, exactly one).

Each part of the access work keeps its tables in its own section below: people, devices, clinic accounts, audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from unclench.core import clock
from unclench.core.db import Base, UTCDateTime

# --- people ----------------------------------------------------------------------------------------------------


class Person(Base):
    """Someone whose diary, sessions and recordings these are; every person-owned row names one.

    On a person's own computer there is one, `core.identity.LOCAL_PERSON_ID`, made by the first migration so that
    data from before accounts existed belongs to them.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
