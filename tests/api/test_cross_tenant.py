"""Generated from the OpenAPI document: every route that takes an id is attacked by another tenant with the
same role and by the owner's organization without the scope, on every method; each answer must be 403 or
404 and carry nothing of the owner's record. A new id route fails ``test_every_id_route_is_attacked_or
_listed`` until it gets a builder here or a reason to be left out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bayfin.api.app import create_app
from bayfin.kernel.settings import Settings
from tests.api import cross_tenant_builders as b
from tests.api.sscard.test_sscard_api import holder  # noqa: F401  (a fixture some builders ask for)
from tests.api.tokens.conftest import env, receiver, test_bank  # noqa: F401  (fixtures, as above)

#: Route template -> the builder of tenant A's record it addresses.
ATTACKED: dict[str, Any] = {
    "/v1/fraud/decisions/{event_id}": b.fraud_decision,
    "/v1/fraud/lists/{entry_id}": b.fraud_list,
    "/v1/fraud/cases/{case_id}": b.fraud_case,
    "/v1/fraud/cases/{case_id}/assign": b.fraud_case,
    "/v1/fraud/cases/{case_id}/entries": b.fraud_case,
    "/v1/fraud/cases/{case_id}/decision": b.fraud_case,
    "/v1/consents/{consent_id}": b.consent,
    "/v1/consents/{consent_id}/artefact": b.consent,
    "/v1/consents/{consent_id}/approve": b.consent,
    "/v1/consents/{consent_id}/reject": b.consent,
    "/v1/consents/{consent_id}/pause": b.consent,
    "/v1/consents/{consent_id}/resume": b.consent,
    "/v1/consents/{consent_id}/revoke": b.consent,
    "/v1/credit-reports/{credit_code}": b.credit_report,
    "/v1/scores/{credit_code}": b.score,
    "/v1/monitoring/subscriptions/{subscription_id}": b.monitoring,
    "/v1/financing/products/{product_id}": b.product,
    "/v1/financing/products/{product_id}/deactivate": b.product,
    "/v1/financing/demands/{demand_id}": b.demand,
    "/v1/financing/demands/{demand_id}/close": b.demand,
    "/v1/financing/demands/{demand_id}/matches": b.demand,
    "/v1/financing/applications/{application_id}": b.application,
    "/v1/financing/applications/{application_id}/events": b.application,
    "/v1/financing/applications/{application_id}/transitions": b.application,
    "/v1/terminals/terminals/{terminal_id}/history": b.terminal,
    "/v1/terminals/terminals/{terminal_id}/commands": b.terminal,
    "/v1/terminals/alarms/{alarm_id}/acknowledge": b.terminal,
    "/v1/terminals/alarms/{alarm_id}/clear": b.terminal,
    "/v1/sscard/me/cards/{card_id}/balance": b.my_card,
    "/v1/sscard/me/cards/{card_id}/statement": b.my_card,
    "/v1/sscard/me/cards/{card_id}/qr": b.my_card,
    "/v1/sscard/cards/{card_id}": b.operated_card,
    "/v1/sscard/cards/{card_id}/state": b.operated_card,
    "/v1/sscard/cards/{card_id}/deposits": b.operated_card,
    "/v1/sscard/cardholders/{holder_id}": b.cardholder,
    "/v1/sscard/cardholders/{holder_id}/cards": b.cardholder,
    "/v1/sscard/settlement/{day}": b.operated_card,
    "/v1/risk/firms/{credit_code}": b.risk,
    "/v1/risk/firms/{credit_code}/score": b.risk,
    "/v1/risk/review/{evidence_id}": b.risk,
    "/v1/risk/leads/{lead_id}": b.risk,
    "/v1/enterprises/{credit_code}": b.hub_record,
    "/v1/identity/users/{ref}": b.identity_user,
    "/v1/identity/users/{ref}/password": b.identity_user,
    "/v1/identity/users/{ref}/roles": b.identity_user,
    "/v1/identity/users/{ref}/invitation": b.identity_user,
    "/v1/identity/apps/{client_id}": b.identity_app,
    "/v1/identity/apps/{client_id}/secret": b.identity_app,
    "/v1/identity/apps/{client_id}/roles": b.identity_app,
    "/scim/v2/Users/{user_id}": b.scim_user,
    "/scim/v2/Groups/{group_id}": b.scim_group,
    "/v1/tokens/{token_id}/{action}": b.requestor_token,
    "/v1/tokens/{token_id}/activate": b.requestor_token,
    "/v1/tokens/{token_id}/keys": b.requestor_token,
    "/v1/tokens/payments/{payment_id}": b.requestor_payment,
    "/v1/tokens/payments/{payment_id}/reversal": b.requestor_payment,
    "/v1/tokens/payments/{payment_id}/refunds": b.requestor_payment,
    "/v1/wallet/accounts/{account_id}/default": b.wallet,
    "/v1/wallet/tokens/{token_id}/activate": b.wallet,
    "/v1/wallet/tokens/{token_id}/{action}": b.wallet,
    "/v1/wallet/tokens/{token_id}/keys": b.wallet,
    "/v1/wallet/payments/{payment_id}": b.wallet_payment,
    "/v1/wallet/devices/{device_id}/suspend": b.wallet,
}

#: Id routes left out, each with the reason.
LEFT_OUT: dict[str, str] = {
    "/v1/identity/me/factors/{kind}": "kind is a factor type on the caller's own account: no other record",
    "/v1/identity/me/factors/{kind}/confirm": "kind is a factor type on the caller's own account",
    "/scim/v2/Schemas/{schema_id}": "SCIM schema metadata (RFC 7643 §7), the same for every tenant",
    "/scim/v2/ResourceTypes/{type_id}": "SCIM resource type metadata (RFC 7644 §4), alike for all",
    **{f"/v1/graph/enterprises/{{credit_code}}/{view}": "the supply-chain graph is platform data read by the "
       "operator and credit-officer roles; which firms an officer may read is a consent question, not a "
       "tenant's record (see docs/architecture.md, Tenancy)"
       for view in ("chain", "group", "exposure", "offers", "ego.svg", "ego")},
}

TRIED: Counter[str] = Counter()


def _id_routes() -> dict[str, list[str]]:
    spec = create_app(Settings(environment="test")).openapi()
    return {path: sorted(m.upper() for m in ops if m in ("get", "post", "put", "patch", "delete"))
            for path, ops in spec["paths"].items() if "{" in path}


ROUTES = _id_routes()


def test_every_id_route_is_attacked_or_listed() -> None:
    missing = sorted(set(ROUTES) - set(ATTACKED) - set(LEFT_OUT))
    stale = sorted((set(ATTACKED) | set(LEFT_OUT)) - set(ROUTES))
    assert not missing, f"id routes with neither a builder nor a reason: {missing}"
    assert not stale, f"listed routes the API no longer has: {stale}"
    assert not set(ATTACKED) & set(LEFT_OUT)


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    routes = len({k.split(" ", 1)[1] for k in TRIED})
    line = (f"\ncross-tenant: {routes} id routes, {len(TRIED)} route x method pairs, "
            f"{sum(TRIED.values())} attacks tried")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(line)



@pytest.fixture
def financing_hub(platform: Any, tmp_path: Any) -> None:
    """The registrations the financing builders' enterprises need."""
    from datetime import date

    from bayfin.creditdata.mapping import load_mapping
    from bayfin.creditdata.service import ingest_file
    from tests.integration.creditdata.deliveries import REG_HEADER, reg_line, write

    with platform.unit_of_work() as uow:
        ingest_file(uow.session, write(tmp_path / "reg.csv", REG_HEADER, [reg_line(1), reg_line(2)]),
                    load_mapping("amr_registration"), date(2024, 1, 5))
        uow.commit()


def _params() -> list[Any]:
    out = []
    for path in sorted(ATTACKED):
        out.append(pytest.param(path, id=path))
    return out


def _url(path: str, params: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)


def _body(record: b.Record, method: str, path: str) -> Any:
    for key in (f"{method} {path}", method):
        if key in record.bodies:
            return record.bodies[key]
    return {} if method in ("POST", "PUT", "PATCH") else None


@pytest.mark.parametrize("path", _params())
def test_another_tenant_or_a_scopeless_role_never_reaches_the_record(
        path: str, client: Any, platform: Any, auth_headers: Any, request: pytest.FixtureRequest) -> None:
    ctx = b.Ctx(client, platform, auth_headers, request.getfixturevalue)
    record = ATTACKED[path](ctx)

    def control() -> None:
        if record.control is not None:
            where, who = record.control
            seen = client.get(where, headers=auth_headers(**who), params=record.query)
            assert seen.status_code == 200, (where, seen.text)
            assert any(s in seen.text for s in record.secrets), f"the owner cannot see its record at {where}"

    control()
    url = _url(path, record.params)
    for method in ROUTES[path]:
        for label, who in [*((f"tenant {w.get('org')}", w) for w in record.others),
                           ("no scope", record.unprivileged)]:
            r = client.request(method, url, json=_body(record, method, path), params=record.query,
                               headers=auth_headers(**who))
            TRIED[f"{method} {path}"] += 1
            assert r.status_code in (403, 404), f"{method} {url} as {label}: {r.status_code} {r.text[:300]}"
            leaked = [s for s in record.secrets if s in r.text]
            assert not leaked, f"{method} {url} as {label} shows {leaked}"
    control()  # and the record is still there, unchanged for its owner
