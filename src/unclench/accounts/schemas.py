"""Input for the clinic's sign-in pages: what each form must hold, in plain words."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

PASSWORD_MIN = 12
# Hashing cost grows with the input: a bound keeps one request from buying a lot of server time.
PASSWORD_MAX = 256


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


def _email(value: str) -> str:
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise ValueError("Give an email address like name@example.org.")
    return email


class LoginIn(_Strict):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)

    @field_validator("email")
    @classmethod
    def _normal_email(cls, value: str) -> str:
        return value.strip().lower()


class NewPasswordIn(_Strict):
    """A new password typed twice."""

    password: str = Field(max_length=PASSWORD_MAX)
    password_again: str = Field(max_length=PASSWORD_MAX)

    @field_validator("password")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < PASSWORD_MIN:
            raise ValueError(f"Use at least {PASSWORD_MIN} characters; a few ordinary words in a row work well.")
        return value

    @field_validator("password_again")
    @classmethod
    def _same_twice(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("The two passwords are not the same; type the new one twice.")
        return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]


class AcceptInvitationIn(NewPasswordIn):
    email: Email


class PasswordChangeIn(NewPasswordIn):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class CodeIn(_Strict):
    """A six-digit code from the authenticator app, or one of the recovery codes."""

    code: str = Field(min_length=1, max_length=64)


class InviteIn(_Strict):
    role: Literal["person", "practitioner", "admin"]


class ResetIssueIn(_Strict):
    email: Email
