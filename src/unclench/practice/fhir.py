"""A client's consent history as FHIR R4 Consent resources: one per version, the current one "active".

Each version says which categories of the client's data the practitioner may see: a permit provision with one
nested provision per category (coded in unclench's own code system), the practitioner as the recipient, the period
it held (given until superseded). A version that shared nothing (a revocation) is a deny. Validated with
`fhir.resources` (R4B's Consent, which is R4's).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unclench.core import clock
from unclench.practice.schemas import SHAREABLE
from unclench.practice.service import LinkView

BASE = "https://unclench.app/fhir"
CATEGORY_SYSTEM = f"{BASE}/CodeSystem/data-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
LOINC = "http://loinc.org"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def consent_resources(link: LinkView, patient_ref: str) -> list[dict[str, Any]]:
    """Every version of one link's consent, oldest first, as FHIR Consent dicts."""
    out = []
    for consent in link.history:
        active = consent.superseded_at is None and bool(consent.categories) and link.ended_at is None
        period: dict[str, str] = {"start": _instant(consent.given_at)}
        end = consent.superseded_at or (link.ended_at if consent.superseded_at is None and link.ended_at else None)
        if end is not None:
            period["end"] = _instant(end)
        recipient = {
            "role": {"coding": [{"system": PARTICIPATION, "code": "IRCP", "display": "information recipient"}]},
            "reference": {"display": f"Practitioner {link.practitioner}"},
        }
        provision: dict[str, Any] = {"type": "permit" if consent.categories else "deny", "period": period}
        provision["actor"] = [recipient]
        if consent.categories:
            provision["provision"] = [
                {
                    "type": "permit",
                    "code": [
                        {
                            "coding": [
                                {"system": CATEGORY_SYSTEM, "code": category, "display": SHAREABLE[category][0]}
                            ],
                            "text": SHAREABLE[category][1],
                        }
                    ],
                }
                for category in consent.categories
                if category in SHAREABLE
            ]
        shared = ", ".join(SHAREABLE[c][0].lower() for c in consent.categories if c in SHAREABLE) or "nothing"
        out.append(
            {
                "resourceType": "Consent",
                "id": f"consent-{consent.link_id}-{consent.version}",
                "identifier": [{"system": f"{BASE}/consent", "value": f"{consent.link_id}/{consent.version}"}],
                "status": "active" if active else "inactive",
                "scope": {
                    "coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy", "display": "Privacy Consent"}]
                },
                "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]}],
                "patient": {"reference": patient_ref},
                "dateTime": _instant(consent.given_at),
                "performer": [{"reference": patient_ref}],
                "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN", "display": "opt-in"}]},
                "provision": provision,
                "text": {
                    "status": "generated",
                    "div": (
                        '<div xmlns="http://www.w3.org/1999/xhtml">'
                        f"Version {consent.version}: shares {_escape(shared)} with {_escape(link.practitioner)}"
                        f"{' (sharing ended)' if consent.revoked else ''}.</div>"
                    ),
                },
            }
        )
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def consent_bundle(links: list[LinkView], person_id: int) -> dict[str, Any]:
    """Every consent version of every link of the client, as a validated FHIR collection Bundle."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.consent import Consent

    patient_ref = f"Patient/{person_id}"
    resources = [r for link in sorted(links, key=lambda v: v.link_id) for r in consent_resources(link, patient_ref)]
    for resource in resources:
        Consent.model_validate(resource)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(clock.now()),
        "entry": [{"fullUrl": f"{BASE}/Consent/{r['id']}", "resource": r} for r in resources],
    }
    Bundle.model_validate(bundle)
    return bundle
