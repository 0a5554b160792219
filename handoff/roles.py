"""What each kind of console account may do: one role per account, checked in one place.

A municipality's people come in two kinds: *hosts*, who take over conversations and so read
personal data, and *editors*, who keep the municipality's FAQ right and read only masked,
aggregated figures. The region has two more: the *admin* (the operator), who sees every
municipality's conversations, and the *regional admin*, who sees every municipality's figures and
FAQ gaps and edits the shared layer every municipality inherits. A municipality's own answers
stay the municipality's (as with Norway's Kommune-Kari): nobody outside it edits them, and the
regional admin offers a good answer to others through the cross-municipality view instead.
"""

from __future__ import annotations

from enum import Enum

from knowledge.content.entries import SHARED_LAYER


class Role(str, Enum):
    HOST = "host"  # one municipality: its conversations and its figures
    EDITOR = "editor"  # one municipality: its FAQ entries, its figures and FAQ gaps
    ADMIN = "admin"  # every municipality's conversations and figures (the region's operator)
    REGIONAL_ADMIN = "regional_admin"  # every municipality's figures and gaps; edits the shared layer

    @property
    def regional(self) -> bool:
        """Works for the whole region rather than one municipality."""
        return self in (Role.ADMIN, Role.REGIONAL_ADMIN)

    @property
    def hosts(self) -> bool:
        """Takes over conversations (and so is counted online and notified of tickets)."""
        return self in (Role.HOST, Role.ADMIN)


def may_host(role: Role, own: str | None, municipality: str) -> bool:
    """May read and answer the municipality's handed-over conversations."""
    return role is Role.ADMIN or (role is Role.HOST and own == municipality)


def may_view_figures(role: Role, own: str | None, municipality: str) -> bool:
    """May read the municipality's analytics and FAQ gap report (masked and aggregated)."""
    return role.regional or own == municipality


def may_edit(role: Role, own: str | None, layer: str) -> bool:
    """May draft and publish entries of this FAQ layer (a municipality id, or the shared layer)."""
    if layer == SHARED_LAYER:
        return role is Role.REGIONAL_ADMIN
    return role is Role.EDITOR and own == layer
