"""The difference between two matrices: per cell, and as what a role gains or loses."""

from __future__ import annotations

from meterguard.domain.catalogue import Channel
from meterguard.domain.roles import Role
from meterguard.policy.matrix import Access
from meterguard.policy.matrix import CellKey as K
from meterguard.policy.matrix_diff import Change, diff_cells

HH_OU = K("hh_consumption", Role.OU, Channel.API)
AQ_SH = K("annual_quantity", Role.SH, Channel.BULK)
REG_IS = K("registration", Role.IS, Channel.API)
ALERTS_ED = K("alerts", Role.ED, Channel.API)


def test_identical_matrices_differ_in_nothing() -> None:
    cells = {HH_OU: Access.CURRENT, AQ_SH: Access.HISTORIC}
    assert diff_cells(cells, dict(cells)).changes == ()


def test_each_kind_of_change_is_named() -> None:
    before = {HH_OU: Access.CURRENT, AQ_SH: Access.HISTORIC, REG_IS: Access.NOT_PERMITTED}
    after = {HH_OU: Access.HISTORIC, AQ_SH: Access.CURRENT, ALERTS_ED: Access.HISTORIC}
    kinds = {c.key: c.change for c in diff_cells(before, after).changes}
    assert kinds == {
        HH_OU: Change.WIDENED,
        AQ_SH: Change.NARROWED,
        REG_IS: Change.REMOVED,  # "-" to not configured: releases nothing either way
        ALERTS_ED: Change.WIDENED,  # not configured to H
    }


def test_only_a_gain_of_a_personal_item_counts_as_new_personal_exposure() -> None:
    before = {HH_OU: Access.CURRENT, AQ_SH: Access.NOT_PERMITTED}
    after = {HH_OU: Access.HISTORIC, AQ_SH: Access.HISTORIC}
    diff = diff_cells(before, after)
    assert {c.key for c in diff.gained} == {HH_OU, AQ_SH}
    assert [c.key for c in diff.personal_data_newly_exposed] == [HH_OU]  # consumption is personal
    narrowed = diff_cells(after, before)
    assert narrowed.personal_data_newly_exposed == () and len(narrowed.lost) == 2


def test_changes_are_grouped_per_role_and_channel() -> None:
    diff = diff_cells({}, {HH_OU: Access.CURRENT, AQ_SH: Access.HISTORIC})
    assert set(diff.by_role_and_channel()) == {(Role.OU, Channel.API), (Role.SH, Channel.BULK)}
