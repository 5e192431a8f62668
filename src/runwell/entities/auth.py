"""Users, access tokens and permissions of a server started with ``--auth``.

A permission is held by a user on one resource (an experiment by id, a registered model by
name). The levels are ordered: ``NO_PERMISSIONS`` < ``READ`` < ``EDIT`` < ``MANAGE``; each
level includes the ones below it. ``MANAGE`` adds deleting the resource and changing who may
use it. Admins are not checked at all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Permission(enum.Enum):
    """What a user may do with one resource; the wire name is the member name."""

    NO_PERMISSIONS = 0
    READ = 1
    EDIT = 2
    MANAGE = 3

    def allows(self, needed: Permission) -> bool:
        """Whether holding ``self`` is enough for an action that needs ``needed``."""
        return self.value >= needed.value

    @classmethod
    def parse(cls, text: str) -> Permission:
        """The member named ``text`` (any case); ValueError names the valid choices."""
        member = cls.__members__.get(text.strip().upper())
        if member is None:
            raise ValueError(f"expected one of {', '.join(cls.__members__)}, got {text!r}")
        return member


class ResourceType(enum.Enum):
    """The kinds of resource permissions are held on."""

    EXPERIMENT = "experiment"
    REGISTERED_MODEL = "registered_model"


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """An account; the password hash never leaves the auth store and server."""

    id: int
    username: str
    is_admin: bool
    created_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessToken:
    """A bearer token's description; the secret itself is shown once, at creation."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: int
    expires_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """One explicit permission of one user on one resource."""

    user_id: int
    username: str
    resource_type: ResourceType
    resource_id: str
    permission: Permission
