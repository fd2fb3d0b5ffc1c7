"""API shapes of the identity admin endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bayfin.kernel.fields import Line, StrictInt, Text

#: An organization, app or role named by id, code or client id.
Ref = Annotated[Line, Field(min_length=1, max_length=200)]
#: A redirect URI of an application.
Uri = Annotated[Line, Field(min_length=1, max_length=2000)]


class OrgIn(BaseModel):
    """A new organization (``parent``: id or code of the head office, for a branch)."""

    code: Line = Field(min_length=1, max_length=64)
    name: Line = Field(min_length=1, max_length=200)
    org_type: Line = Field(min_length=1, max_length=40)
    parent: Ref | None = None


class OrgOut(BaseModel):
    """An organization."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    org_type: str
    parent_id: str | None


class UserIn(BaseModel):
    """A new user."""

    username: Line = Field(min_length=1, max_length=120)
    display_name: Line = Field(min_length=1, max_length=200)
    email: Line | None = Field(default=None, max_length=254)
    organization: Ref | None = None
    password: Text | None = Field(default=None, max_length=256)
    locale: Line | None = Field(default=None, max_length=10)


class UserPatch(BaseModel):
    """Changes to a user."""

    display_name: Line | None = Field(default=None, max_length=200)
    email: Line | None = Field(default=None, max_length=254)
    organization: Ref | None = None
    active: bool | None = None
    locale: Line | None = Field(default=None, max_length=10)


class PasswordIn(BaseModel):
    """A new password."""

    password: Text = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    """A user (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    username: str
    display_name: str
    email: str | None
    organization_id: str | None
    active: bool
    created_at: datetime


class AppIn(BaseModel):
    """A new application (OAuth client)."""

    client_id: Line = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    name: Line = Field(min_length=1, max_length=200)
    client_type: Line = Field(default="confidential", max_length=40)
    redirect_uris: list[Uri] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[Uri] = Field(default_factory=list, max_length=20)
    grant_types: list[Ref] | None = Field(default=None, max_length=20)
    scopes: list[Ref] | None = Field(default=None, max_length=200)
    service_roles: list[Ref] | None = Field(default=None, max_length=50)
    organization: Ref | None = None
    first_party: bool = False


class AppOut(BaseModel):
    """An application; ``client_secret`` appears only in the creation response."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    client_id: str
    name: str
    client_type: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    scopes: list[str]
    service_roles: list[str]
    organization_id: str | None
    first_party: bool
    active: bool
    client_secret: str | None = None


class RoleIn(BaseModel):
    """A role: a name and the permission scopes it grants, within one app (or platform-wide)."""

    name: Line = Field(min_length=1, max_length=100)
    permissions: list[Ref] = Field(default_factory=list, max_length=200)


class RoleOut(BaseModel):
    """A role."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    app_id: str | None
    name: str
    permissions: list[str]


class RoleGrantIn(BaseModel):
    """Give or take a role: the app's client id (none for a platform-wide role) and the role name."""

    app: Ref | None = None
    role: Ref


class KeyOut(BaseModel):
    """A signing key's state (no key material)."""

    kid: str
    state: str
    created_at: datetime
    activates_at: datetime | None = None
    retired_at: datetime | None
    expires_at: datetime | None


class FactorEnrolmentOut(BaseModel):
    """What an authenticator needs to start producing codes (TOTP: the secret and its otpauth URI)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "secret": "JBSWY3DPEHPK3PXP",
        "otpauth_uri": "otpauth://totp/bayfin:ana?secret=JBSWY3DPEHPK3PXP&issuer=bayfin"}]})

    secret: str
    otpauth_uri: str


class FactorCodeIn(BaseModel):
    """A one-time code confirming an enrolment."""

    code: Line = Field(min_length=1, max_length=20)


class AppPatch(BaseModel):
    """Changes to an application; absent fields stay as they are. ``active: false`` disables it
    (its tokens are refused at once), ``true`` enables it again."""

    model_config = ConfigDict(extra="forbid")
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    redirect_uris: list[Uri] | None = Field(default=None, max_length=20)
    post_logout_redirect_uris: list[Uri] | None = Field(default=None, max_length=20)
    scopes: list[Ref] | None = Field(default=None, max_length=200)
    active: bool | None = None


class SecretRotationIn(BaseModel):
    """How long the current client secret keeps working after the new one is issued."""

    model_config = ConfigDict(extra="forbid")
    grace_seconds: StrictInt = Field(default=86_400, ge=0, le=30 * 86_400)


class SecretRotationOut(BaseModel):
    """The new client secret (shown only now) and when the old one stops working."""

    client_id: str
    client_secret: str
    previous_secret_valid_until: datetime | None


class InvitationOut(BaseModel):
    """A set-password link for a provisioned user: give it to them (it is shown only once)."""

    url: str
    expires_at: datetime
