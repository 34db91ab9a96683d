from __future__ import annotations

from meterguard.domain.catalogue import CATALOGUE, EXCLUDED_GROUPS, Channel, is_excluded
from meterguard.domain.identifiers import Fuel
from meterguard.domain.roles import APPOINTMENT_ROLES, ROLES, Role, responsible_supplier_role


def test_the_catalogue_holds_the_twelve_items_of_access_rules_section_3() -> None:
    assert len(CATALOGUE) == 12
    series = {name for name, item in CATALOGUE.items() if item.is_series}
    assert series == {"hh_consumption", "daily_consumption", "hh_export", "alerts"}
    assert CATALOGUE["device_inventory"].subject.value == "device"


def test_excluded_groups_are_guarded_on_api_and_bulk_but_not_the_portal() -> None:
    contact = CATALOGUE["priority_services"]
    assert contact.group in EXCLUDED_GROUPS
    assert is_excluded(contact, Channel.API) and is_excluded(contact, Channel.BULK)
    assert not is_excluded(contact, Channel.PORTAL)
    assert not is_excluded(CATALOGUE["hh_consumption"], Channel.API)


def test_roles_and_their_relationships() -> None:
    assert len(ROLES) == 12
    assert {
        Role.IS,
        Role.ES,
        Role.GS,
        Role.ED,
        Role.GT,
        Role.SH,
        Role.RSA,
        Role.MAM,
    } == APPOINTMENT_ROLES
    assert responsible_supplier_role(Fuel.ELECTRICITY) is Role.IS
    assert responsible_supplier_role(Fuel.GAS) is Role.GS
    assert ROLES[Role.GT].fuels == {Fuel.GAS}
