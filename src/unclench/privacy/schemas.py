"""What the data-rights forms accept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The word a person types to delete everything: deliberate, and the same in every language's keyboard layout.
CONFIRM_WORD = "DELETE"


class DeleteIn(BaseModel):
    """Deleting everything: the confirmation word typed out and, on a clinic server, the account's password."""

    model_config = ConfigDict(str_strip_whitespace=True)

    confirm: str = Field("", max_length=40, description=f"Type {CONFIRM_WORD} to confirm")
    password: str = Field("", max_length=1024, description="Your password (clinic accounts)")
