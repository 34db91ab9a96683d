from __future__ import annotations

import pytest

from meterguard.domain.catalogue import Channel
from meterguard.domain.roles import Role
from meterguard.policy.matrix import Access, CellKey, InvalidCell, Matrix, MatrixVersion

HH_IS_API = CellKey("hh_consumption", Role.IS, Channel.API)


def version(number: int, start: int, access: Access = Access.HISTORIC) -> MatrixVersion:
    return MatrixVersion(number, start, {HH_IS_API: access})


def test_the_version_in_force_is_the_latest_that_has_started() -> None:
    matrix = Matrix([version(2, 200), version(1, 100)])
    assert matrix.in_force_at(99) is None
    assert matrix.in_force_at(100).version == 1  # type: ignore[union-attr]
    assert matrix.in_force_at(199).version == 1  # type: ignore[union-attr]
    assert matrix.in_force_at(200).version == 2  # type: ignore[union-attr]


def test_an_absent_cell_is_not_configured_rather_than_denied() -> None:
    v = version(1, 0, Access.NOT_PERMITTED)
    assert v.access(HH_IS_API) is Access.NOT_PERMITTED
    assert v.access(CellKey("alerts", Role.IS, Channel.API)) is None


@pytest.mark.parametrize("channel", [Channel.API, Channel.BULK])
@pytest.mark.parametrize("item", ["consumer_contact", "emergency_contact", "priority_services"])
def test_a_matrix_granting_an_excluded_group_on_api_or_bulk_is_refused(
    item: str, channel: Channel
) -> None:
    with pytest.raises(InvalidCell, match="never released"):
        MatrixVersion(1, 0, {CellKey(item, Role.IS, channel): Access.CURRENT})


def test_excluded_groups_may_be_explicitly_refused_and_shown_on_the_portal() -> None:
    MatrixVersion(
        1,
        0,
        {
            CellKey("priority_services", Role.IS, Channel.API): Access.NOT_PERMITTED,
            CellKey("priority_services", Role.MEU, Channel.PORTAL): Access.CURRENT,
        },
    )


def test_community_view_is_never_valid_for_a_series_item() -> None:
    with pytest.raises(InvalidCell, match="series"):
        MatrixVersion(1, 0, {CellKey("alerts", Role.SH, Channel.API): Access.COMMUNITY})
    MatrixVersion(1, 0, {CellKey("meter_point_details", Role.SH, Channel.API): Access.COMMUNITY})
