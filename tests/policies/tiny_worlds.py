"""A builder of tiny hand-made worlds (contract format) for the visibility-rule tests.

Fixed cast: organizers o1, o2; providers p1, p2; services s1, s2 (o1) and s3 (o2),
each with one content k1, k2, k3. Users:
rec1/rep1 (p1 RECORDER/REPORTER), rec2 (p2 RECORDER), admin1 (o1 ADMIN),
admin2 (o2 ADMIN), team1 (o1 STAFF in a team naming s1), team2 (o1 STAFF in a team
naming s2), staff0 (o1 STAFF in no team).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from voucher_graph.domain.hetu import make_hetu

CONTENT_OF = {"s1": "k1", "s2": "k2", "s3": "k3"}
ORGANIZER_OF = {"s1": "o1", "s2": "o1", "s3": "o2"}


class TinyWorld:
    """Add customers, purchasing powers, reservations and events; `raw` is the world."""

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {
            "organizers": [
                {"id": "o1", "name": "Vantaa", "settlementDates": ["2028-03-08"]},
                {"id": "o2", "name": "Espoo", "settlementDates": ["2028-03-31"]},
            ],
            "providers": [
                {"id": "p1", "name": "Hoivapalvelu Oy", "businessId": "1083742-9"},
                {"id": "p2", "name": "Kotiapu Ky", "businessId": "1604913-2"},
            ],
            "services": [
                {
                    "id": service,
                    "organizerId": ORGANIZER_OF[service],
                    "name": f"Palvelu {service}",
                    "contents": [{"id": content, "name": f"Sisältö {content}", "unit": "HOUR"}],
                }
                for service, content in CONTENT_OF.items()
            ],
            "users": [
                {"id": "rec1", "name": "Kirjaaja 1", "providerId": "p1", "role": "RECORDER"},
                {"id": "rep1", "name": "Raportoija 1", "providerId": "p1", "role": "REPORTER"},
                {"id": "rec2", "name": "Kirjaaja 2", "providerId": "p2", "role": "RECORDER"},
                {"id": "admin1", "name": "Pääkäyttäjä 1", "organizerId": "o1", "role": "ADMIN"},
                {"id": "admin2", "name": "Pääkäyttäjä 2", "organizerId": "o2", "role": "ADMIN"},
                {"id": "team1", "name": "Tiimiläinen s1", "organizerId": "o1", "role": "STAFF"},
                {"id": "team2", "name": "Tiimiläinen s2", "organizerId": "o1", "role": "STAFF"},
                {"id": "staff0", "name": "Tiimitön", "organizerId": "o1", "role": "STAFF"},
            ],
            "teams": [
                {"id": "t1", "organizerId": "o1", "name": "S1", "serviceIds": ["s1"],
                 "memberIds": ["team1"]},
                {"id": "t2", "organizerId": "o1", "name": "S2", "serviceIds": ["s2"],
                 "memberIds": ["team2"]},
            ],
            "customers": [],
            "customerNumbers": [],
            "purchasingPowers": [],
            "reservations": [],
            "events": [],
        }
        self._service_of: dict[str, str] = {}

    def customer(self, ident: str, first: str = "Maija", last: str = "Virtanen") -> str:
        n = len(self.raw["customers"])
        ssn = make_hetu(date(1950, 1, 1) + timedelta(days=n), 100 + n)
        self.raw["customers"].append(
            {"id": ident, "firstName": first, "lastName": last, "ssn": ssn}
        )
        return ssn

    def number(self, provider: str, customer: str, number: str) -> None:
        self.raw["customerNumbers"].append(
            {"providerId": provider, "customerId": customer, "number": number}
        )

    def pp(
        self, ident: str, customer: str, service: str = "s1", *, kind: str = "REGULAR",
        voucher: str | None = None,
    ) -> None:
        self._service_of[ident] = service
        entry: dict[str, Any] = {
            "id": ident,
            "kind": kind,
            "customerId": customer,
            "organizerId": ORGANIZER_OF[service],
            "serviceId": service,
            "voucherNumber": voucher or f"V-{ident}",
            "validFrom": "2020-01-01",
            "validTo": "2030-12-31",
        }
        if kind == "REGULAR":
            entry["contents"] = [
                {"contentId": CONTENT_OF[service], "unitValue": "30.00", "grantedUnits": "100"}
            ]
        else:
            entry["grantedAmount"] = "1000.00"
        self.raw["purchasingPowers"].append(entry)

    def reservation(
        self, ident: str, pp: str, provider: str = "p1", *, start: str = "2020-01-01",
        end: str | None = None,
    ) -> None:
        self.raw["reservations"].append(
            {
                "id": ident,
                "purchasingPowerId": pp,
                "contentId": CONTENT_OF[self._service_of[pp]],
                "providerId": provider,
                "validFrom": start,
                "validTo": end,
            }
        )

    def event(
        self, ident: str, pp: str, provider: str = "p1", *, day: str = "2027-06-01",
        status: str = "RECORDED", deleted: bool = False,
    ) -> None:
        self.raw["events"].append(
            {
                "id": ident,
                "purchasingPowerId": pp,
                "contentId": CONTENT_OF[self._service_of[pp]],
                "providerId": provider,
                "serviceDate": day,
                "units": "1",
                "unitPrice": "30.00",
                "description": "",
                "status": status,
                "recordedOn": day,
                "approvedOn": day if status in ("APPROVED",) else None,
                "deleted": deleted,
            }
        )
