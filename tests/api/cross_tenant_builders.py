"""Records for the generated cross-tenant test: for each route that takes an id, a builder creates the
record as tenant A and says who owns it, who else holds the same role in another organization, what
of A's record must never show to them, and a valid body for each method (a malformed body would be
refused before the record is reached, and prove nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from bayfin.kernel.platform import Platform
from tests.conftest import TokenFactory

A, B = "TENANT-A", "TENANT-B"
Who = dict[str, Any]


@dataclass
class Ctx:
    """What a builder may use: the client, the platform, token factory, and other fixtures on demand."""

    client: TestClient
    platform: Platform
    auth: TokenFactory
    fixture: Callable[[str], Any]

    def post(self, path: str, who: Who, body: Any, status: int = 201) -> Any:
        r = self.client.post(path, json=body, headers=self.auth(**who))
        assert r.status_code == status, (path, r.text)
        return r.json()


@dataclass
class Record:
    """One of tenant A's records as the attacks see it."""

    params: dict[str, str]
    #: Principals of other tenants with the same role (and scopes) as the owner.
    others: list[Who]
    #: The owner's role in its own organization, stripped of scopes and roles ("a role without the scope").
    unprivileged: Who
    #: Values of A's record no other tenant may see in any answer.
    secrets: tuple[str, ...] = ()
    #: Method -> JSON body (default: ``{}`` for POST/PUT/PATCH, none otherwise).
    bodies: dict[str, Any] = field(default_factory=dict)
    #: A GET as the owner that shows a secret: proves the record exists before and after the attacks.
    control: tuple[str, Who] | None = None
    #: Query parameters every call carries (a required one, pointing at A's record).
    query: dict[str, str] = field(default_factory=dict)


def items(body: Any) -> Any:
    """A list answer's items, whether the route answers a bare list or a cursor page ({"items": …})."""
    return body["items"] if isinstance(body, dict) and "items" in body else body


def same_role(who: Who, org: str = B, **changes: Any) -> Who:
    """``who`` in another organization (another subject too)."""
    return {**who, "subject": f"{who['subject']}-of-{org}", "org": org, **changes}


def bare(who: Who) -> Who:
    """``who``'s subject and organization with no role and no scope."""
    return {**who, "roles": [], "scopes": []}


# -- anti-fraud -------------------------------------------------------------------------------------
ANALYST: Who = {"subject": "ana", "org": A, "org_type": "institution", "roles": ["fraud_analyst"],
                "scopes": ["fraud:read", "fraud:lists", "fraud:cases"]}


def fraud_decision(ctx: Ctx) -> Record:
    from tests.antifraud_events import event_data

    teller = {"subject": "teller", "org": A, "org_type": "institution", "scopes": ["fraud:decide"]}
    event = event_data(1, customer_id="cust-secret-a1", event_id="ev-a1")
    ctx.post("/v1/fraud/decisions", teller, event, 200)
    return Record({"event_id": "ev-a1"}, [same_role(ANALYST)], bare(ANALYST), ("cust-secret-a1",),
                  control=("/v1/fraud/decisions/ev-a1", ANALYST))


def fraud_list(ctx: Ctx) -> Record:
    entry = ctx.post("/v1/fraud/lists", ANALYST, {"kind": "allow", "entity_type": "device",
                                                   "value": "secret-device-a", "reason": "vetted"})
    return Record({"entry_id": str(entry["id"])}, [same_role(ANALYST)], bare(ANALYST), ("secret-device-a",),
                  control=("/v1/fraud/lists", ANALYST))


def fraud_case(ctx: Ctx) -> Record:
    switch = {"subject": "switch", "org": A, "org_type": "institution", "scopes": ["fraud:alerts"]}
    case = ctx.post("/v1/fraud/cases", switch, {"event_id": "sw-a1", "customer_id": "cust-secret-a2",
                                                "amount_fen": 1000, "score": 50, "system": "switch",
                                                "reason": "CARD_SKIMMED"})
    return Record({"case_id": str(case["id"])}, [same_role(ANALYST)], bare(ANALYST), ("cust-secret-a2",),
                  bodies={"POST /v1/fraud/cases/{case_id}/entries": {"kind": "note", "text": "x"},
                          "POST /v1/fraud/cases/{case_id}/decision": {"action": "release"}},
                  control=(f"/v1/fraud/cases/{case['id']}", ANALYST))


# -- consent, reports, monitoring -----------------------------------------------------------------
FIRM = "91440101000000019F"
OTHER_FIRM = "914403000000000276"
OFFICER: Who = {"subject": "officer", "org": A, "org_type": "institution", "roles": ["credit_officer"],
                "scopes": ["consent:request", "credit:read"]}
OWNER_FIRM: Who = {"subject": "cfo", "org": FIRM, "org_type": "enterprise", "roles": ["enterprise_admin"],
                   "scopes": ["consent:manage"]}
SECRET_PURPOSE = "secret-purpose-of-tenant-a"


def _consent(ctx: Ctx, approve: bool) -> dict[str, Any]:
    consent = ctx.post("/v1/consents", OFFICER, {
        "credit_code": FIRM, "purpose_code": "101", "purpose_text": SECRET_PURPOSE,
        "categories": ["tax", "registration"], "access_mode": "periodic",
        "frequency": {"unit": "month", "value": 5}, "data_from": "2024-01-01", "data_to": "2025-12-31",
        "validity_days": 90, "data_life": {"unit": "month", "value": 6}})
    if approve:
        ctx.post(f"/v1/consents/{consent['id']}/approve", OWNER_FIRM, {}, 200)
    return consent


def consent(ctx: Ctx) -> Record:
    found = _consent(ctx, approve=False)
    return Record({"consent_id": found["id"]},
                  [same_role(OFFICER), same_role(OWNER_FIRM, OTHER_FIRM)], bare(OFFICER), (SECRET_PURPOSE,),
                  control=(f"/v1/consents/{found['id']}", OFFICER))


def credit_report(ctx: Ctx) -> Record:
    found = _consent(ctx, approve=True)
    return Record({"credit_code": FIRM}, [same_role(OFFICER)], bare(OFFICER), (SECRET_PURPOSE,),
                  query={"consent_id": found["id"]})


def monitoring(ctx: Ctx) -> Record:
    found = _consent(ctx, approve=True)
    sub = ctx.post("/v1/monitoring/subscriptions", OFFICER, {"consent_id": found["id"]})
    return Record({"subscription_id": sub["id"]}, [same_role(OFFICER)], bare(OFFICER), (found["id"],),
                  control=("/v1/monitoring/subscriptions", OFFICER))


def score(ctx: Ctx) -> Record:
    found = _consent(ctx, approve=True)
    return Record({"credit_code": FIRM}, [same_role(OFFICER)], bare(OFFICER),
                  query={"consent_id": found["id"]})


# -- financing --------------------------------------------------------------------------------------
LENDER: Who = {"subject": "lender", "org": A, "org_type": "institution", "roles": [],
               "scopes": ["financing:products", "financing:review", "consent:request"]}


def _borrower(ctx: Ctx) -> Who:
    ctx.fixture("financing_hub")
    from tests.api.financing.conftest import FIRM as HUB_FIRM

    return {"subject": "cfo-fin", "org": HUB_FIRM, "org_type": "enterprise", "roles": [],
            "scopes": ["financing:apply", "consent:manage"]}


def _product(ctx: Ctx) -> dict[str, Any]:
    from tests.api.financing.conftest import product_body

    return ctx.post("/v1/financing/products", LENDER, product_body(name="Secret product of A"))


def product(ctx: Ctx) -> Record:
    found = _product(ctx)
    ctx.post(f"/v1/financing/products/{found['id']}/deactivate", LENDER, None, 200)  # unpublished: A's own
    return Record({"product_id": found["id"]}, [same_role(LENDER)], bare(LENDER), ("Secret product of A",),
                  bodies={"PATCH": {"name": "taken over"}},
                  control=(f"/v1/financing/products/{found['id']}", LENDER))


def demand(ctx: Ctx) -> Record:
    firm = _borrower(ctx)
    found = ctx.post("/v1/financing/demands", firm, {"amount_fen": 100_000_000, "term_months": 12,
                                                     "purpose": "secret-demand-purpose-a"})
    from tests.api.financing.conftest import SECOND

    return Record({"demand_id": found["id"]}, [same_role(firm, SECOND)], bare(firm),
                  ("secret-demand-purpose-a",), control=(f"/v1/financing/demands/{found['id']}", firm))


def application(ctx: Ctx) -> Record:
    firm = _borrower(ctx)
    offered = _product(ctx)
    wanted = ctx.post("/v1/financing/demands", firm, {"amount_fen": 100_000_000, "term_months": 12,
                                                      "purpose": "secret-demand-purpose-a"})
    found = ctx.post("/v1/financing/applications", firm, {"demand_id": wanted["id"],
                                                          "product_id": offered["id"]})
    from tests.api.financing.conftest import SECOND

    return Record({"application_id": found["id"]}, [same_role(LENDER), same_role(firm, SECOND)],
                  bare(LENDER), (wanted["id"], "secret-demand-purpose-a"),
                  bodies={"POST": {"to": "withdrawn"}},
                  control=(f"/v1/financing/applications/{found['id']}", LENDER))


# -- terminals and social-security cards: run by the platform operator -------------------------
TERMINAL_OPS: Who = {"subject": "ops-1", "org": "OPERATOR", "org_type": "operator",
                     "roles": ["terminals_operator"], "scopes": ["terminals:read", "terminals:operate"]}
#: The same role held in a bank: the operator's fleet is not the bank's to read or command.
BANK_TERMINAL_OPS = same_role(TERMINAL_OPS, A, org_type="institution")


def terminal(ctx: Ctx) -> Record:
    from tests.api.terminals.test_terminals_api import setup_terminal

    found = setup_terminal(ctx.client, ctx.platform, ctx.auth(**TERMINAL_OPS))
    alarms = items(ctx.client.get("/v1/terminals/alarms", headers=ctx.auth(**TERMINAL_OPS)).json())
    return Record({"terminal_id": found["id"], "alarm_id": str(alarms[0]["id"])}, [BANK_TERMINAL_OPS],
                  bare(TERMINAL_OPS), ("SN-API-1",),
                  bodies={"POST /v1/terminals/terminals/{terminal_id}/commands": {"action": "lock"}},
                  control=(f"/v1/terminals/terminals/{found['id']}/history", TERMINAL_OPS))


CARD_OPS: Who = {"subject": "card-ops", "org": "OPERATOR", "org_type": "operator",
                 "roles": ["sscard_operator"],
                 "scopes": ["sscard:cards", "sscard:settle", "sscard:stats"]}


def _card(ctx: Ctx) -> dict[str, str]:
    holder: dict[str, str] = ctx.fixture("holder")
    return holder


def my_card(ctx: Ctx) -> Record:
    holder = _card(ctx)
    person = {"subject": holder["subject"], "org": None, "org_type": None, "scopes": ["sscard:self"]}
    return Record({"card_id": holder["card_id"]}, [{**person, "subject": "another-citizen"}], bare(person),
                  (holder["pan"], holder["id_number"], '"balance_minor":50000'),
                  control=(f"/v1/sscard/me/cards/{holder['card_id']}/balance", person))


def operated_card(ctx: Ctx) -> Record:
    holder = _card(ctx)
    return Record({"card_id": holder["card_id"], "day": date.today().isoformat()},
                  [same_role(CARD_OPS, A, org_type="institution")], bare(CARD_OPS), (holder["id_number"],),
                  bodies={"POST": {"state": "frozen"},
                          "POST /v1/sscard/cards/{card_id}/deposits": {"amount_minor": 100,
                                                                       "reference": "x-1"}},
                  query={"purpose": "complaint handling"})


def cardholder(ctx: Ctx) -> Record:
    holder = _card(ctx)
    return Record({"holder_id": holder["holder_id"]}, [same_role(CARD_OPS, A, org_type="institution")],
                  bare(CARD_OPS), (holder["id_number"],), bodies={"POST": {"bank_id": "ICBC"}},
                  query={"purpose": "complaint handling"})


# -- risk monitoring: the regulators' -------------------------------------------------------------
RISK: Who = {"subject": "analyst", "org": "gz-risk-centre", "org_type": "regulator",
             "roles": ["risk_analyst"],
             "scopes": []}


def risk(ctx: Ctx) -> Record:
    from tests.integration.creditdata.deliveries import code

    # Regulators share the risk centre's data by design; the tenant that must not reach it is a bank
    # whose user holds the same role name.
    return Record({"credit_code": code(1), "evidence_id": "1", "lead_id": "lead-1"},
                  [same_role(RISK, A, org_type="institution")], bare(RISK),
                  bodies={"POST /v1/risk/review/{evidence_id}": {"credit_code": code(1)},
                          "POST /v1/risk/leads/{lead_id}": {"to": "dispatched"}})


# -- hub and graph reads: the operator's and credit officers' ------------------------------------
def hub_record(ctx: Ctx) -> Record:
    operator = {"subject": "ops", "org": "OPERATOR", "org_type": "operator", "roles": ["operator"],
                "scopes": []}
    # a bank user given the role *name* "operator" is still a bank user
    return Record({"credit_code": FIRM}, [same_role(operator, A, org_type="institution")], bare(operator))


# -- identity (delegated administration: SCIM and the admin API act within the caller's organization) --
ADMIN: Who = {"subject": "admin-a", "org": A, "org_type": "institution", "roles": [],
              "scopes": ["identity:admin", "identity:read"]}
SCIM_JSON = "application/scim+json"
# The identity admin API's delegated model: BANK-A's admin acts in BANK-A; only the operator's
# platform administrator creates organizations.
PLATFORM_ADMIN = "platform_admin"
SCIM: Who = {"subject": "hr-a", "org": A, "org_type": "institution", "roles": [], "scopes": ["scim"]}


def _orgs(ctx: Ctx) -> None:
    root = {"subject": "root", "org": "OPERATOR", "org_type": "operator", "roles": [PLATFORM_ADMIN],
            "scopes": ["identity:admin"]}
    for code in (A, B):
        ctx.post("/v1/identity/organizations", root, {"code": code, "name": code, "org_type": "institution"})


def identity_user(ctx: Ctx) -> Record:
    _orgs(ctx)
    user = ctx.post("/v1/identity/users", ADMIN, {"username": "secret-user-a", "display_name": "Secret A",
                                                 "organization": A, "email": "secret-a@bank-a.example"})
    return Record({"ref": user["id"]}, [same_role(ADMIN)], bare(ADMIN), ("secret-a@bank-a.example",),
                  bodies={"PATCH": {"display_name": "taken over"}, "PUT": {"password": "Taken-over-123!"},
                          "POST": {"role": "operator"}, "DELETE": {"role": "operator"}},
                  control=(f"/v1/identity/users/{user['id']}", ADMIN))


def identity_app(ctx: Ctx) -> Record:
    _orgs(ctx)
    app = ctx.post("/v1/identity/apps", ADMIN, {"client_id": "secret-app-a", "name": "App of A",
                                                "organization": A})
    ctx.post("/v1/identity/apps/secret-app-a/roles", ADMIN, {"name": "secret-role-a"})
    return Record({"client_id": app["client_id"]}, [same_role(ADMIN)], bare(ADMIN), ("secret-role-a",),
                  bodies={"POST /v1/identity/apps/{client_id}/roles": {"name": "planted"},
                          "POST /v1/identity/apps/{client_id}/secret": {"grace_seconds": 0},
                          "PATCH": {"name": "taken over"}},
                  control=("/v1/identity/apps/secret-app-a/roles", ADMIN))


def scim_user(ctx: Ctx) -> Record:
    _orgs(ctx)
    r = ctx.client.post("/scim/v2/Users", headers={**ctx.auth(**SCIM), "content-type": SCIM_JSON},
                        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                              "userName": "scim-secret-a",
                              "emails": [{"value": "scim-secret-a@bank-a.example"}]})
    assert r.status_code == 201, r.text
    user = r.json()
    return Record({"user_id": user["id"]}, [same_role(SCIM)], bare(SCIM), ("scim-secret-a@bank-a.example",),
                  bodies={"PUT": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                  "userName": "taken-over"},
                          "PATCH": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                    "Operations": [{"op": "replace", "path": "active", "value": False}]}},
                  control=(f"/scim/v2/Users/{user['id']}", SCIM))


def scim_group(ctx: Ctx) -> Record:
    _orgs(ctx)
    r = ctx.client.post("/scim/v2/Groups", headers={**ctx.auth(**SCIM), "content-type": SCIM_JSON},
                        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                              "displayName": "secret-group-a"})
    assert r.status_code == 201, r.text
    group = r.json()
    return Record({"group_id": group["id"]}, [same_role(SCIM)], bare(SCIM), ("secret-group-a",),
                  bodies={"PUT": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                  "displayName": "taken-over"},
                          "PATCH": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                    "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}},
                  control=(f"/scim/v2/Groups/{group['id']}", SCIM))


# -- tokens and the wallet: a person's, or a token requestor's --------------------------------------
def _provisioned(ctx: Ctx) -> tuple[Any, dict[str, Any]]:
    from tests.api.tokens.conftest import bind

    env = ctx.fixture("env")
    return env, bind(env)


ALICE: Who = {"subject": "alice", "org": None, "org_type": "person", "scopes": ["wallet"],
              "client_id": "wallet-app"}


def wallet(ctx: Ctx) -> Record:
    env, found = _provisioned(ctx)
    alice = ALICE
    accounts = items(ctx.client.get("/v1/wallet/accounts", headers=env.alice()).json())
    token = found["token"]
    return Record({"account_id": accounts[0]["id"], "token_id": token["id"], "action": "suspend",
                   "device_id": "alice-phone"},
                  [{**alice, "subject": "bob"}], bare(alice), (token["number"],),
                  control=("/v1/wallet/accounts", alice))


def _requestors() -> tuple[Who, Who]:
    """The wallet's and the shop's token requestor clients (registered by the ``env`` fixture)."""
    from tests.api.tokens.conftest import SHOP_CLIENT, WALLET_CLIENT

    wallet_client = {"subject": "svc-wallet", "org": "WALLET-CO", "org_type": "merchant",
                     "scopes": ["tokens:request"], "client_id": WALLET_CLIENT}
    shop = {"subject": "svc-shop", "org": "SHOP", "org_type": "merchant", "scopes": ["tokens:request"],
            "client_id": SHOP_CLIENT}
    return wallet_client, shop


def requestor_token(ctx: Ctx) -> Record:
    env, found = _provisioned(ctx)
    wallet_client, shop = _requestors()
    assert env is not None
    return Record({"token_id": found["token"]["id"], "action": "suspend"}, [shop], bare(wallet_client),
                  (found["token"]["number"],))


def wallet_payment(ctx: Ctx) -> Record:
    from tests.api.tokens.conftest import pay_body

    env, found = _provisioned(ctx)
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(found))
    assert paid.status_code == 200 and paid.json()["approved"] is True, paid.text
    payment = paid.json()
    return Record({"payment_id": payment["payment_id"]}, [{**ALICE, "subject": "bob"}], bare(ALICE),
                  (payment["par"], payment["token_id"]),
                  control=(f"/v1/wallet/payments/{payment['payment_id']}", ALICE))


def requestor_payment(ctx: Ctx) -> Record:
    from tests.api.tokens.conftest import BOB_A, EXPIRY, SHOP_MERCHANT, pay_body

    env = ctx.fixture("env")
    wallet_client, shop = _requestors()
    token = ctx.post("/v1/tokens", shop, {"account_number": BOB_A, "bank_code": "BANKA",
                                          "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year})
    payment = ctx.post("/v1/tokens/payments", shop, pay_body(token, amount=5_000, merchant=SHOP_MERCHANT,
                                                             channel="ecommerce", device=None), 200)
    assert payment["approved"] is True and env is not None, payment
    return Record({"payment_id": payment["payment_id"]}, [wallet_client], bare(shop),
                  (payment["par"], payment["token_id"]),
                  bodies={"POST /v1/tokens/payments/{payment_id}/refunds": {"amount_fen": 100}},
                  control=(f"/v1/tokens/payments/{payment['payment_id']}", shop))
