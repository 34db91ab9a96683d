"""The data catalogue of ACCESS-RULES section 3 and the channels of section 4."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Group(StrEnum):
    CONSUMPTION = "CONSUMPTION"
    ALERTS = "ALERTS"
    METER_POINT = "METER_POINT"
    REGISTRATION = "REGISTRATION"
    ADDRESS = "ADDRESS"
    INVENTORY = "INVENTORY"
    CONSUMER_CONTACT = "CONSUMER_CONTACT"
    EMERGENCY_CONTACT = "EMERGENCY_CONTACT"
    PRIORITY_SERVICES = "PRIORITY_SERVICES"


class Kind(StrEnum):
    SERIES = "series"
    REFERENCE = "reference"


class SubjectKind(StrEnum):
    METER_POINT = "meter point"
    DEVICE = "device"


class Channel(StrEnum):
    API = "API"
    BULK = "BULK"
    PORTAL = "PORTAL"


class PersonalData(StrEnum):
    NO = "no"
    YES = "yes"
    COMMERCIALLY_CONFIDENTIAL = "no (commercially confidential)"
    SPECIAL_CATEGORY = "yes (special category)"


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    group: Group
    kind: Kind
    subject: SubjectKind
    personal: PersonalData

    @property
    def is_series(self) -> bool:
        return self.kind is Kind.SERIES

    @property
    def is_personal(self) -> bool:
        return self.personal in (PersonalData.YES, PersonalData.SPECIAL_CATEGORY)


_M, _D = SubjectKind.METER_POINT, SubjectKind.DEVICE
_S, _R = Kind.SERIES, Kind.REFERENCE

CATALOGUE: dict[str, Item] = {
    item.name: item
    for item in (
        Item("hh_consumption", Group.CONSUMPTION, _S, _M, PersonalData.YES),
        Item("daily_consumption", Group.CONSUMPTION, _S, _M, PersonalData.YES),
        Item("hh_export", Group.CONSUMPTION, _S, _M, PersonalData.YES),
        Item("alerts", Group.ALERTS, _S, _M, PersonalData.NO),
        Item("meter_point_details", Group.METER_POINT, _R, _M, PersonalData.NO),
        Item("annual_quantity", Group.METER_POINT, _R, _M, PersonalData.NO),
        Item("registration", Group.REGISTRATION, _R, _M, PersonalData.COMMERCIALLY_CONFIDENTIAL),
        Item("supply_address", Group.ADDRESS, _R, _M, PersonalData.YES),
        Item("device_inventory", Group.INVENTORY, _R, _D, PersonalData.NO),
        Item("consumer_contact", Group.CONSUMER_CONTACT, _R, _M, PersonalData.YES),
        Item("emergency_contact", Group.EMERGENCY_CONTACT, _R, _M, PersonalData.YES),
        Item("priority_services", Group.PRIORITY_SERVICES, _R, _M, PersonalData.SPECIAL_CATEGORY),
    )
}

# Never released through API or BULK, whatever a matrix says (ACCESS-RULES section 3).
EXCLUDED_GROUPS = frozenset(
    {Group.CONSUMER_CONTACT, Group.EMERGENCY_CONTACT, Group.PRIORITY_SERVICES}
)
GUARDED_CHANNELS = frozenset({Channel.API, Channel.BULK})


def is_excluded(item: Item, channel: Channel) -> bool:
    return item.group in EXCLUDED_GROUPS and channel in GUARDED_CHANNELS
