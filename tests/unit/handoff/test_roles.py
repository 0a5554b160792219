"""Who may do what: every role against its own municipality, another one and the shared layer."""

from __future__ import annotations

import pytest

from handoff.hosts import Host
from handoff.roles import Role

SHARED = "shared"


def _account(role: Role, municipality: str | None = "jokkmokk") -> Host:
    return Host(id=1, email="x@example.org", first_name="X", municipality=None if role.regional else municipality,
                role=role)


@pytest.mark.parametrize(
    ("role", "host_own", "host_other", "figures_own", "figures_other", "edit_own", "edit_other", "edit_shared"),
    [
        (Role.HOST, True, False, True, False, False, False, False),
        (Role.EDITOR, False, False, True, False, True, False, False),
        (Role.ADMIN, True, True, True, True, False, False, False),
        (Role.REGIONAL_ADMIN, False, False, True, True, False, False, True),
    ],
)
def test_each_role_reaches_exactly_its_municipality_and_layer(
        role: Role, host_own: bool, host_other: bool, figures_own: bool, figures_other: bool,
        edit_own: bool, edit_other: bool, edit_shared: bool) -> None:
    account = _account(role)
    assert (account.may_see("jokkmokk"), account.may_see("boden")) == (host_own, host_other)
    assert (account.may_view_figures("jokkmokk"), account.may_view_figures("boden")) == (figures_own, figures_other)
    assert (account.may_edit("jokkmokk"), account.may_edit("boden"), account.may_edit(SHARED)) == \
        (edit_own, edit_other, edit_shared)


def test_regional_accounts_work_for_no_one_municipality_and_only_hosting_roles_take_conversations() -> None:
    assert [_account(role).scope for role in Role] == ["jokkmokk", "jokkmokk", None, None]
    assert [role.hosts for role in Role] == [True, False, True, False]
    assert [_account(role).is_admin for role in Role] == [False, False, True, False]
