"""validate_world: the example file, the model it builds, and a table of broken worlds."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from voucher_graph.world.model import World
from voucher_graph.world.validate import (
    LIST_KEYS,
    WorldError,
    business_id_check_digit,
    is_valid_business_id,
    validate_world,
)

HERE = Path(__file__).parent
EXAMPLES = [HERE / "data" / "world-small.json", Path("/work/shared/examples/world-small.json")]

SSN_1 = "131052-308T"
SSN_2 = "240986V4725"


def small_world() -> dict[str, Any]:
    """A small valid world touching every list and both kinds of purchasing power."""
    return {
        "organizers": [
            {"id": "o1", "name": "Vantaa", "settlementDates": ["2026-02-08", "2026-01-08"]},
            {"id": "o2", "name": "Espoo", "settlementDates": ["2026-01-31"]},
        ],
        "providers": [
            {"id": "p1", "name": "Hoivapalvelu Oy", "businessId": "1234567-1"},
            {"id": "p2", "name": "Kotiapu Ky", "businessId": "1083742-9"},
        ],
        "services": [
            {
                "id": "s1",
                "organizerId": "o1",
                "name": "Kotihoito",
                "contents": [
                    {"id": "k1", "name": "Kotihoidon käynti", "unit": "HOUR"},
                    {"id": "k2", "name": "Turvapuhelinkäynti", "unit": "VISIT"},
                ],
            },
            {
                "id": "s2",
                "organizerId": "o2",
                "name": "Siivous",
                "contents": [
                    {"id": "k3", "name": "Perussiivous", "unit": "HOUR"},
                ],
            },
        ],
        "users": [
            {"id": "u1", "name": "Anna", "providerId": "p1", "role": "RECORDER"},
            {"id": "u2", "name": "Raili", "providerId": "p1", "role": "REPORTER"},
            {"id": "u3", "name": "Olli", "organizerId": "o1", "role": "ADMIN"},
            {"id": "u4", "name": "Sari", "organizerId": "o1", "role": "STAFF"},
        ],
        "teams": [
            {
                "id": "t1",
                "organizerId": "o1",
                "name": "Kotihoito",
                "serviceIds": ["s1"],
                "memberIds": ["u4", "u1"],
            },
        ],
        "customers": [
            {"id": "c1", "firstName": "Maija", "lastName": "Virtanen", "ssn": SSN_1},
            {"id": "c2", "firstName": "Anna-Maija", "lastName": "Mäki-Petäjä", "ssn": SSN_2},
        ],
        "customerNumbers": [
            {"providerId": "p1", "customerId": "c1", "number": "A-100"},
            {"providerId": "p2", "customerId": "c1", "number": "A-100"},
            {"providerId": "p1", "customerId": "c2", "number": "A-101"},
        ],
        "purchasingPowers": [
            {
                "id": "pp1",
                "kind": "REGULAR",
                "customerId": "c1",
                "organizerId": "o1",
                "serviceId": "s1",
                "voucherNumber": "PS-0001",
                "validFrom": "2026-01-01",
                "validTo": "2026-12-31",
                "contents": [{"contentId": "k1", "unitValue": "32.00", "grantedUnits": "40"}],
            },
            {
                "id": "bp1",
                "kind": "BALANCE",
                "customerId": "c1",
                "organizerId": "o1",
                "serviceId": "s1",
                "voucherNumber": "PS-0002",
                "validFrom": "2026-01-01",
                "validTo": "2026-12-31",
                "grantedAmount": "500.00",
            },
            {
                "id": "pp2",
                "kind": "REGULAR",
                "customerId": "c2",
                "organizerId": "o2",
                "serviceId": "s2",
                "voucherNumber": "PS-0003",
                "validFrom": "2026-01-01",
                "validTo": "2026-01-01",
                "contents": [{"contentId": "k3", "unitValue": "0", "grantedUnits": "7.5"}],
            },
        ],
        "reservations": [
            {
                "id": "r1",
                "purchasingPowerId": "pp1",
                "contentId": "k1",
                "providerId": "p1",
                "validFrom": "2026-01-01",
                "validTo": None,
            },
            {
                "id": "r2",
                "purchasingPowerId": "bp1",
                "contentId": "k2",
                "providerId": "p1",
                "validFrom": "2026-01-01",
                "validTo": "2026-06-30",
            },
            {
                "id": "r3",
                "purchasingPowerId": "pp2",
                "contentId": "k3",
                "providerId": "p2",
                "validFrom": "2026-01-01",
            },
        ],
        "events": [
            {
                "id": "e1",
                "purchasingPowerId": "pp1",
                "contentId": "k1",
                "providerId": "p1",
                "serviceDate": "2026-01-05",
                "units": "1.5",
                "unitPrice": "45.00",
                "description": "",
                "status": "RECORDED",
                "recordedOn": "2026-01-05",
                "approvedOn": None,
                "deleted": False,
            },
            {
                "id": "e2",
                "purchasingPowerId": "bp1",
                "contentId": "k2",
                "providerId": "p1",
                "serviceDate": "2026-01-06",
                "units": "2",
                "unitPrice": "0",
                "description": "Aamukäynti",
                "status": "APPROVED",
                "recordedOn": "2026-01-06",
                "approvedOn": "2026-01-09",
                "deleted": True,
            },
            {
                "id": "e3",
                "purchasingPowerId": "pp2",
                "contentId": "k3",
                "providerId": "p2",
                "serviceDate": "2026-01-01",
                "units": "0.05",
                "unitPrice": "12.5",
                "status": "CREDITED",
                "recordedOn": "2026-01-02",
            },
        ],
    }


# -- valid worlds ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=["tests-copy", "shared"])
def test_example_file_validates(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not here")
    raw = json.loads(path.read_text(encoding="utf-8"))
    world = validate_world(raw)
    for key, attribute in zip(LIST_KEYS, World.__dataclass_fields__, strict=True):
        assert len(getattr(world, attribute)) == len(raw[key])


def test_small_world_becomes_the_model() -> None:
    world = validate_world(small_world())
    vantaa = world.organizers[0]
    assert vantaa.settlement_dates == (date(2026, 1, 8), date(2026, 2, 8))  # sorted
    assert [c.id for c in world.contents] == ["k1", "k2", "k3"]
    assert world.services[0].contents[1].service_id == "s1"
    assert world.services[0].contents[1].unit == "VISIT"
    assert world.users[2].organizer_id == "o1" and world.users[2].provider_id is None
    assert world.users[0].provider_id == "p1" and world.users[0].organizer_id is None
    assert world.teams[0].member_ids == ("u4", "u1")
    pp1, bp1, pp2 = world.purchasing_powers
    assert pp1.kind == "REGULAR" and pp1.granted_amount is None
    assert pp1.contents[0].unit_value == Decimal("32.00")
    assert pp1.contents[0].granted_units == Decimal("40")
    assert bp1.kind == "BALANCE" and bp1.contents == () and bp1.granted_amount == Decimal("500")
    assert pp2.valid_from == pp2.valid_to == date(2026, 1, 1)
    assert world.reservations[0].valid_to is None
    assert world.reservations[2].valid_to is None  # absent validTo: open-ended
    e1, e2, e3 = world.events
    assert e1.units == Decimal("1.5") and e1.unit_price == Decimal("45")
    assert e2.approved_on == date(2026, 1, 9) and e2.deleted is True
    # absent description, approvedOn and deleted take their defaults
    assert (e3.description, e3.approved_on, e3.deleted) == ("", None, False)
    assert len(world.customer_numbers) == 3


def test_ssn_is_normalized_and_kept_out_of_repr() -> None:
    raw = small_world()
    raw["customers"][0]["ssn"] = " " + SSN_1.lower() + " "
    world = validate_world(raw)
    assert world.customers[0].ssn == SSN_1
    assert SSN_1 not in repr(world.customers[0])
    assert "Virtanen" not in repr(world)


def test_missing_and_null_lists_are_empty() -> None:
    assert validate_world({}) == World()
    raw = small_world()
    del raw["events"]
    raw["reservations"] = None
    world = validate_world(raw)
    assert world.events == () and world.reservations == ()


def test_optional_keys_may_be_null() -> None:
    raw = small_world()
    raw["events"][0].update(description=None, deleted=None, approvedOn=None)
    raw["purchasingPowers"][0]["grantedAmount"] = None
    raw["purchasingPowers"][1]["contents"] = None
    raw["users"][0]["organizerId"] = None
    raw["teams"][0]["memberIds"] = None
    raw["organizers"][0]["settlementDates"] = None
    world = validate_world(raw)
    assert world.events[0].description == "" and world.events[0].deleted is False
    assert world.teams[0].member_ids == () and world.organizers[0].settlement_dates == ()


def test_balance_with_empty_contents_is_fine() -> None:
    raw = small_world()
    raw["purchasingPowers"][1]["contents"] = []
    validate_world(raw)


def test_content_of_a_balance_service_may_be_reserved_and_recorded() -> None:
    raw = small_world()
    raw["reservations"][1]["contentId"] = "k1"
    raw["events"][1]["contentId"] = "k1"
    validate_world(raw)


def test_progress_is_reported_per_list() -> None:
    calls: list[tuple[str, int]] = []
    validate_world(small_world(), progress=lambda key, count: calls.append((key, count)))
    raw = small_world()
    assert calls == [(key, len(raw[key])) for key in LIST_KEYS]


def test_progress_stops_at_the_broken_list() -> None:
    calls: list[str] = []
    raw = small_world()
    raw["customers"][1]["ssn"] = SSN_1
    with pytest.raises(WorldError):
        validate_world(raw, progress=lambda key, count: calls.append(key))
    assert calls == ["organizers", "providers", "services", "users", "teams"]


def test_input_is_not_modified() -> None:
    raw = small_world()
    before = copy.deepcopy(raw)
    validate_world(raw)
    assert raw == before


# -- business ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1234567-1", True),
        ("1083742-9", True),
        ("1000002-0", True),  # remainder 0: check digit 0
        ("1234567-2", False),
        ("1000008-0", False),  # remainder 1: no valid check digit
        ("1000008-1", False),
        ("123456-1", False),
        ("01234567-1", False),
        ("12345671", False),
        (" 1234567-1", False),
        ("１２３４５６７-1", False),  # noqa: RUF001 - full-width digits
    ],
)
def test_business_id(text: str, valid: bool) -> None:
    assert is_valid_business_id(text) is valid


def test_business_id_check_digit() -> None:
    assert business_id_check_digit("1234567") == 1
    assert business_id_check_digit("1000002") == 0
    assert business_id_check_digit("1000008") is None


# -- broken worlds ---------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def put(*path: Any, value: Any) -> Mutation:
    def mutate(world: dict[str, Any]) -> None:
        target: Any = world
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def drop(*path: Any) -> Mutation:
    def mutate(world: dict[str, Any]) -> None:
        target: Any = world
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


def add(key: str, entry: Any) -> Mutation:
    def mutate(world: dict[str, Any]) -> None:
        world[key].append(entry)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(world: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(world)

    return mutate


E1 = 'events[0] (id "e1"): '
E2 = 'events[1] (id "e2"): '
PP1 = 'purchasingPowers[0] (id "pp1"): '
BP1 = 'purchasingPowers[1] (id "bp1"): '
R1 = 'reservations[0] (id "r1"): '
R2 = 'reservations[1] (id "r2"): '
C1 = 'customers[0] (id "c1"): '
C2 = 'customers[1] (id "c2"): '
U1 = 'users[0] (id "u1"): '
U3 = 'users[2] (id "u3"): '
T1 = 'teams[0] (id "t1"): '
O1 = 'organizers[0] (id "o1"): '
P1 = 'providers[0] (id "p1"): '
S1 = 'services[0] (id "s1"): '
CN = "customerNumbers[2]: "

BROKEN: list[tuple[str, Mutation, str]] = [
    # the file and its lists
    ("unknown top-level key", put("extras", value=[]), 'world file: unknown key "extras"'),
    ("list is an object", put("events", value={}), "events: must be a list, not an object"),
    ("entry is a string", put("events", 0, value="e1"), "events[0]: must be an object"),
    ("entry is null", put("teams", 0, value=None), "teams[0]: must be an object, not null"),
    # keys and JSON types
    ("missing key", drop("events", 0, "units"), E1 + "units is missing"),
    (
        "null required key",
        put("events", 0, "serviceDate", value=None),
        E1 + "serviceDate is missing",
    ),
    ("unknown entry key", put("events", 0, "note", value="x"), E1 + 'unknown key "note"'),
    (
        "unknown nested key",
        put("services", 0, "contents", 0, "price", value="1"),
        S1[:-2] + ', contents[0] (id "k1"): unknown key "price"',
    ),
    (
        "name not a string",
        put("providers", 0, "name", value=5),
        P1 + "name must be a string, not a number",
    ),
    ("blank name", put("organizers", 0, "name", value="  "), O1 + "name must not be empty"),
    (
        "blank first name",
        put("customers", 0, "firstName", value=""),
        C1 + "firstName must not be empty",
    ),
    (
        "description a number",
        put("events", 0, "description", value=3),
        E1 + "description must be a string",
    ),
    (
        "deleted a string",
        put("events", 0, "deleted", value="yes"),
        E1 + "deleted must be true or false, not a string",
    ),
    (
        "deleted a number",
        put("events", 0, "deleted", value=0),
        E1 + "deleted must be true or false, not a number",
    ),
    (
        "settlement dates not a list",
        put("organizers", 0, "settlementDates", value="2026-01-08"),
        O1 + "settlementDates must be a list",
    ),
    (
        "member ids not a list",
        put("teams", 0, "memberIds", value="u4"),
        T1 + "memberIds must be a list",
    ),
    # ids
    ("empty id", put("events", 1, "id", value=""), "events[1]: id must not be empty"),
    (
        "id a number",
        put("customers", 0, "id", value=1),
        "customers[0]: id must be a string, not a number",
    ),
    ("missing id", drop("users", 0, "id"), "users[0]: id is missing"),
    (
        "duplicate id",
        put("events", 1, "id", value="e1"),
        'events[1] (id "e1"): id "e1" is already used by events[0]',
    ),
    (
        "duplicate content id across services",
        put("services", 1, "contents", 0, "id", value="k1"),
        'services[1] (id "s2"), contents[0] (id "k1"): id "k1" is already used by'
        ' services[0] (id "s1"), contents[0]',
    ),
    (
        "unit unknown",
        put("services", 0, "contents", 1, "unit", value="MINUTE"),
        'services[0] (id "s1"), contents[1] (id "k2"): unit "MINUTE" is not one of'
        " HOUR, VISIT, DAY, PIECE",
    ),
    # organizers
    (
        "settlement date malformed",
        put("organizers", 0, "settlementDates", 1, value="2026-1-08"),
        O1 + "settlementDates[1] is not a valid date",
    ),
    (
        "settlement date not a string",
        put("organizers", 1, "settlementDates", 0, value=20260131),
        'organizers[1] (id "o2"): settlementDates[0] must be a date string',
    ),
    (
        "settlement date twice",
        put("organizers", 0, "settlementDates", value=["2026-01-08", "2026-02-08", "2026-01-08"]),
        O1 + 'settlementDates[2] "2026-01-08" is listed twice',
    ),
    # providers
    (
        "business id check digit",
        put("providers", 0, "businessId", value="1234567-2"),
        P1 + 'businessId "1234567-2" is not a valid business id',
    ),
    (
        "business id remainder 1",
        put("providers", 0, "businessId", value="1000008-0"),
        P1 + "businessId",
    ),
    (
        "business id shape",
        put("providers", 1, "businessId", value="12345678"),
        'providers[1] (id "p2"): businessId "12345678" is not a valid business id',
    ),
    # services
    (
        "service organizer unknown",
        put("services", 0, "organizerId", value="o9"),
        S1 + 'organizerId "o9" does not resolve',
    ),
    # users
    ("role unknown", put("users", 0, "role", value="OWNER"), U1 + 'role "OWNER" is not one of'),
    (
        "both organizations",
        put("users", 0, "organizerId", value="o1"),
        U1 + "has both providerId and organizerId",
    ),
    (
        "recorder of an organizer",
        both(drop("users", 0, "providerId"), put("users", 0, "organizerId", value="o1")),
        U1 + "role RECORDER needs a providerId",
    ),
    (
        "admin of a provider",
        both(drop("users", 2, "organizerId"), put("users", 2, "providerId", value="p1")),
        U3 + "role ADMIN needs an organizerId",
    ),
    ("user of nothing", drop("users", 2, "organizerId"), U3 + "role ADMIN needs an organizerId"),
    (
        "provider unknown",
        put("users", 0, "providerId", value="p9"),
        U1 + 'providerId "p9" does not resolve',
    ),
    (
        "organizer unknown",
        put("users", 2, "organizerId", value="o9"),
        U3 + 'organizerId "o9" does not resolve',
    ),
    # teams
    (
        "team organizer unknown",
        put("teams", 0, "organizerId", value="o9"),
        T1 + 'organizerId "o9" does not resolve',
    ),
    (
        "team service of another organizer",
        put("teams", 0, "serviceIds", value=["s1", "s2"]),
        T1 + 'serviceIds[1] "s2" belongs to another organizer than "o1"',
    ),
    (
        "team service unknown",
        put("teams", 0, "serviceIds", value=["s9"]),
        T1 + 'serviceIds[0] "s9" does not resolve',
    ),
    (
        "team member unknown",
        put("teams", 0, "memberIds", value=["u4", "u9"]),
        T1 + 'memberIds[1] "u9" does not resolve',
    ),
    (
        "team member twice",
        put("teams", 0, "memberIds", value=["u4", "u4"]),
        T1 + 'memberIds[1] "u4" is listed twice',
    ),
    (
        "team member a number",
        put("teams", 0, "memberIds", value=[4]),
        T1 + "memberIds[0] must be a string",
    ),
    # customers
    (
        "hetu check character",
        put("customers", 1, "ssn", value="240986V4726"),
        C2 + "ssn is not a valid personal identity code",
    ),
    (
        "hetu date",
        put("customers", 1, "ssn", value="310286-123X"),
        C2 + "ssn is not a valid personal identity code",
    ),
    (
        "hetu shape",
        put("customers", 1, "ssn", value="24098-V4725"),
        C2 + "ssn is not a valid personal identity code",
    ),
    (
        "hetu a number",
        put("customers", 1, "ssn", value=2409864725),
        C2 + "ssn must be a string, not a number",
    ),
    (
        "hetu twice",
        put("customers", 1, "ssn", value=SSN_1.lower()),
        C2 + 'ssn is the same as that of customers[0] (id "c1")',
    ),
    # customer numbers
    (
        "customer number provider unknown",
        put("customerNumbers", 2, "providerId", value="p9"),
        CN + 'providerId "p9" does not resolve',
    ),
    (
        "customer number customer unknown",
        put("customerNumbers", 2, "customerId", value="c9"),
        CN + 'customerId "c9" does not resolve',
    ),
    (
        "customer number blank",
        put("customerNumbers", 2, "number", value=" "),
        CN + "number must not be empty",
    ),
    (
        "second number for a customer",
        put("customerNumbers", 2, "customerId", value="c1"),
        CN + 'provider "p1" already has a number for customer "c1" (customerNumbers[0])',
    ),
    (
        "number taken at the provider",
        put("customerNumbers", 2, "number", value="A-100"),
        CN + 'number "A-100" of provider "p1" is already used (customerNumbers[0])',
    ),
    # purchasing powers
    (
        "kind unknown",
        put("purchasingPowers", 0, "kind", value="SALDO"),
        PP1 + 'kind "SALDO" is not one of REGULAR, BALANCE',
    ),
    (
        "customer unknown",
        put("purchasingPowers", 0, "customerId", value="c9"),
        PP1 + 'customerId "c9" does not resolve',
    ),
    (
        "service unknown",
        put("purchasingPowers", 0, "serviceId", value="s9"),
        PP1 + 'serviceId "s9" does not resolve',
    ),
    (
        "granted by another organizer",
        put("purchasingPowers", 0, "organizerId", value="o2"),
        PP1 + 'organizerId "o2" does not match the organizer "o1" of service "s1"',
    ),
    (
        "voucher number across kinds",
        put("purchasingPowers", 1, "voucherNumber", value="PS-0001"),
        BP1 + 'voucherNumber "PS-0001" is already used by purchasingPowers[0] (id "pp1")',
    ),
    (
        "voucher number blank",
        put("purchasingPowers", 0, "voucherNumber", value=""),
        PP1 + "voucherNumber must not be empty",
    ),
    (
        "validity reversed",
        put("purchasingPowers", 0, "validTo", value="2025-12-31"),
        PP1 + "validFrom 2026-01-01 is after validTo 2025-12-31",
    ),
    (
        "validity date impossible",
        put("purchasingPowers", 0, "validTo", value="2026-02-30"),
        PP1 + "validTo is not a valid date",
    ),
    (
        "validity date loose",
        put("purchasingPowers", 0, "validFrom", value="2026-1-1"),
        PP1 + "validFrom is not a valid date",
    ),
    (
        "validity date with time",
        put("purchasingPowers", 0, "validFrom", value="2026-01-01T00:00"),
        PP1 + "validFrom is not a valid date",
    ),
    (
        "regular with grantedAmount",
        put("purchasingPowers", 0, "grantedAmount", value="10.00"),
        PP1 + "a REGULAR purchasing power has no grantedAmount",
    ),
    (
        "regular without contents",
        drop("purchasingPowers", 0, "contents"),
        PP1 + "a REGULAR purchasing power needs at least one of contents",
    ),
    (
        "regular with empty contents",
        put("purchasingPowers", 0, "contents", value=[]),
        PP1 + "a REGULAR purchasing power needs at least one of contents",
    ),
    (
        "regular content of another service",
        put("purchasingPowers", 0, "contents", 0, "contentId", value="k3"),
        PP1[:-2] + ', contents[0]: contentId "k3" is not a content of service "s1"',
    ),
    (
        "regular content unknown",
        put("purchasingPowers", 0, "contents", 0, "contentId", value="k9"),
        PP1[:-2] + ', contents[0]: contentId "k9" does not resolve',
    ),
    (
        "regular content twice",
        put(
            "purchasingPowers",
            0,
            "contents",
            value=[
                {"contentId": "k1", "unitValue": "1", "grantedUnits": "1"},
                {"contentId": "k2", "unitValue": "1", "grantedUnits": "1"},
                {"contentId": "k1", "unitValue": "1", "grantedUnits": "1"},
            ],
        ),
        PP1[:-2] + ', contents[2]: contentId "k1" is listed twice',
    ),
    (
        "regular content entry missing key",
        drop("purchasingPowers", 0, "contents", 0, "grantedUnits"),
        PP1[:-2] + ", contents[0]: grantedUnits is missing",
    ),
    (
        "unit value negative",
        put("purchasingPowers", 0, "contents", 0, "unitValue", value="-1.00"),
        PP1[:-2] + ", contents[0]: unitValue must not be negative",
    ),
    (
        "unit value three decimals",
        put("purchasingPowers", 0, "contents", 0, "unitValue", value="32.001"),
        PP1[:-2] + ", contents[0]: unitValue has more than 2 decimals",
    ),
    (
        "unit value a JSON number",
        put("purchasingPowers", 0, "contents", 0, "unitValue", value=32),
        PP1[:-2] + ", contents[0]: unitValue must be a decimal string, not a number",
    ),
    (
        "granted units zero",
        put("purchasingPowers", 0, "contents", 0, "grantedUnits", value="0"),
        PP1[:-2] + ", contents[0]: grantedUnits must be greater than zero",
    ),
    (
        "granted units three decimals",
        put("purchasingPowers", 0, "contents", 0, "grantedUnits", value="1.125"),
        PP1[:-2] + ", contents[0]: grantedUnits has more than 2 decimals",
    ),
    (
        "granted units a float",
        put("purchasingPowers", 0, "contents", 0, "grantedUnits", value=1.5),
        PP1[:-2] + ", contents[0]: grantedUnits must be a decimal string",
    ),
    (
        "balance with contents",
        put(
            "purchasingPowers",
            1,
            "contents",
            value=[{"contentId": "k1", "unitValue": "1", "grantedUnits": "1"}],
        ),
        BP1 + "a BALANCE purchasing power has no contents",
    ),
    (
        "balance without grantedAmount",
        drop("purchasingPowers", 1, "grantedAmount"),
        BP1 + "grantedAmount is missing",
    ),
    (
        "balance grantedAmount exponent",
        put("purchasingPowers", 1, "grantedAmount", value="5e2"),
        BP1 + "grantedAmount must be a decimal number",
    ),
    (
        "balance grantedAmount negative",
        put("purchasingPowers", 1, "grantedAmount", value="-5"),
        BP1 + "grantedAmount must not be negative",
    ),
    # reservations
    (
        "reservation pp unknown",
        put("reservations", 0, "purchasingPowerId", value="pp9"),
        R1 + 'purchasingPowerId "pp9" does not resolve',
    ),
    (
        "reservation content not of the regular pp",
        put("reservations", 0, "contentId", value="k2"),
        R1 + 'contentId "k2" is not a content of purchasing power "pp1"',
    ),
    (
        "reservation content not of the balance service",
        put("reservations", 1, "contentId", value="k3"),
        R2 + 'contentId "k3" is not a content of service "s1" of purchasing power "bp1"',
    ),
    (
        "reservation content unknown",
        put("reservations", 0, "contentId", value="k9"),
        R1 + 'contentId "k9" does not resolve',
    ),
    (
        "reservation provider unknown",
        put("reservations", 0, "providerId", value="p9"),
        R1 + 'providerId "p9" does not resolve',
    ),
    (
        "reservation reversed",
        put("reservations", 1, "validTo", value="2025-06-30"),
        R2 + "validFrom 2026-01-01 is after validTo 2025-06-30",
    ),
    (
        "reservation end malformed",
        put("reservations", 1, "validTo", value="30.6.2026"),
        R2 + "validTo is not a valid date",
    ),
    (
        "reservation without start",
        drop("reservations", 0, "validFrom"),
        R1 + "validFrom is missing",
    ),
    # events
    (
        "event pp unknown",
        put("events", 0, "purchasingPowerId", value="pp999"),
        E1 + 'purchasingPowerId "pp999" does not resolve',
    ),
    (
        "event content not of the regular pp",
        put("events", 0, "contentId", value="k2"),
        E1 + 'contentId "k2" is not a content of purchasing power "pp1"',
    ),
    (
        "event content not of the balance service",
        put("events", 1, "contentId", value="k3"),
        E2 + 'contentId "k3" is not a content of service "s1" of purchasing power "bp1"',
    ),
    (
        "event provider unknown",
        put("events", 0, "providerId", value="p9"),
        E1 + 'providerId "p9" does not resolve',
    ),
    (
        "event SETTLED",
        put("events", 0, "status", value="SETTLED"),
        E1 + 'status "SETTLED" is derived from the settlement dates',
    ),
    (
        "event status unknown",
        put("events", 0, "status", value="DONE"),
        E1 + 'status "DONE" is not one of RECORDED, UNDER_REVIEW, APPROVED, REJECTED, CREDITED',
    ),
    (
        "event status lower case",
        put("events", 0, "status", value="recorded"),
        E1 + 'status "recorded" is not one of',
    ),
    ("units zero", put("events", 0, "units", value="0"), E1 + "units must be greater than zero"),
    ("units negative", put("events", 0, "units", value="-1"), E1 + "units must not be negative"),
    (
        "units three decimals",
        put("events", 0, "units", value="1.005"),
        E1 + "units has more than 2 decimals",
    ),
    (
        "units with a comma",
        put("events", 0, "units", value="1,5"),
        E1 + "units must be a decimal number",
    ),
    (
        "units a number",
        put("events", 0, "units", value=1.5),
        E1 + "units must be a decimal string, not a number",
    ),
    (
        "unit price negative",
        put("events", 0, "unitPrice", value="-0.01"),
        E1 + "unitPrice must not be negative",
    ),
    (
        "units over the ceiling",
        put("events", 0, "units", value="10000.00"),
        E1 + "units must be at most 9999.99",
    ),
    (
        "unit price over the ceiling",
        put("events", 0, "unitPrice", value="100000"),
        E1 + "unitPrice must be at most 99999.99",
    ),
    (
        "unit price three decimals",
        put("events", 0, "unitPrice", value="45.001"),
        E1 + "unitPrice has more than 2 decimals",
    ),
    (
        "service date malformed",
        put("events", 0, "serviceDate", value="2026-13-01"),
        E1 + "serviceDate is not a valid date",
    ),
    ("recordedOn missing", drop("events", 0, "recordedOn"), E1 + "recordedOn is missing"),
    ("recordedOn null", put("events", 0, "recordedOn", value=None), E1 + "recordedOn is missing"),
    (
        "approvedOn malformed",
        put("events", 1, "approvedOn", value="yesterday"),
        E2 + "approvedOn is not a valid date",
    ),
    (
        "approvedOn a boolean",
        put("events", 1, "approvedOn", value=True),
        E2 + "approvedOn must be a date string YYYY-MM-DD, not a boolean",
    ),
    # first wrong entry: earliest list, then lowest index
    (
        "first list wins",
        both(put("events", 0, "units", value="0"), put("customers", 1, "ssn", value="x")),
        C2 + "ssn is not a valid personal identity code",
    ),
    (
        "first index wins",
        both(put("events", 1, "units", value="0"), put("events", 0, "unitPrice", value="x")),
        E1 + "unitPrice must be a decimal number",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [pytest.param(mutation, expected, id=name) for name, mutation, expected in BROKEN],
)
def test_broken_world_names_the_first_wrong_entry(mutation: Mutation, expected: str) -> None:
    raw = small_world()
    mutation(raw)
    with pytest.raises(WorldError) as caught:
        validate_world(raw)
    message = str(caught.value)
    assert message.startswith(expected), message
    assert caught.value.where + ": " + caught.value.problem == message
    # never a hetu (of any customer, in any spelling) nor a customer's name
    for customer in raw.get("customers") or []:
        if isinstance(customer, dict):
            ssn = customer.get("ssn")
            if isinstance(ssn, str) and len(ssn.strip()) >= 10:
                assert ssn.strip().upper() not in message.upper()
                assert ssn.strip()[:6] not in message
            for key in ("firstName", "lastName"):
                name = customer.get(key)
                if isinstance(name, str) and name.strip():
                    assert name not in message


@pytest.mark.parametrize("raw", [[], "world", 3, None], ids=["list", "string", "number", "null"])
def test_top_level_must_be_an_object(raw: object) -> None:
    with pytest.raises(WorldError, match=r"^world file: must be a JSON object"):
        validate_world(raw)


def test_world_error_is_a_value_error() -> None:
    assert issubclass(WorldError, ValueError)


def test_long_values_are_cut_in_messages() -> None:
    raw = small_world()
    raw["events"][0]["purchasingPowerId"] = "x" * 500
    with pytest.raises(WorldError) as caught:
        validate_world(raw)
    assert len(str(caught.value)) < 150


def test_hetu_in_example_file_never_reaches_a_message() -> None:
    path = EXAMPLES[0]
    raw = json.loads(path.read_text(encoding="utf-8"))
    # a duplicate of a late customer's hetu, and a broken one, anywhere in the list
    ssn = raw["customers"][-1]["ssn"]
    raw["customers"][3]["ssn"] = ssn
    with pytest.raises(WorldError) as caught:
        validate_world(raw)
    assert ssn not in str(caught.value) and ssn[:6] not in str(caught.value)
    assert str(caught.value).startswith('customers[59] (id "c60"): ssn is the same as that of')
