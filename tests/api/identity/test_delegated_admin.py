"""Delegated administration, tried as a hostile bank: bank A's SCIM connector and identity
administrator, holding real client-credentials tokens, go after bank B's users, groups, apps and
the operator on every SCIM and admin route. They get 404 (or 400/403 for what they may never do),
never a field of B's records, and B's records stay as they were."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bayfin.identity.core.models import Group, GroupMember, User
from bayfin.identity.core.service import SYSTEM

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#: What would betray bank B's user, group or app if it appeared in any answer to bank A.
B_MARKERS = ("carol-b", "carol@bank-b.example", "HR-B-7", "Carol of B", "B credit team", "hr-b")


class BankB:
    user_id = ""
    group_id = ""


@pytest.fixture
def bank_b(platform, ident, directory) -> BankB:
    svc = ident.service
    b = BankB()
    with platform.unit_of_work() as uow:
        s = uow.session
        svc.create_org(s, SYSTEM, code="BANK-B", name="Bank B", org_type="institution")
        carol = svc.create_user(s, SYSTEM, username="carol-b", display_name="Carol of B",
                                organization="BANK-B", email="carol@bank-b.example",
                                external_id="HR-B-7", password="correct horse 42")
        svc.create_app(s, SYSTEM, client_id="hr-b", name="Bank B HR", client_type="confidential",
                       grant_types=["client_credentials"], scopes=["scim"], organization="BANK-B")
        svc.create_role(s, SYSTEM, app="hr-b", name="clerk", permissions=["scim"])
        group = Group(id="grp_b_1", display_name="B credit team", organization_id=carol.organization_id,
                      created_at=carol.created_at, updated_at=carol.created_at)
        s.add(group)
        s.flush()
        s.add(GroupMember(group_id=group.id, user_id=carol.id))
        uow.commit()
        b.user_id, b.group_id = carol.id, group.id
    return b


def _app_token(client, platform, ident, client_id: str, scopes: list[str], org: str) -> dict[str, str]:
    with platform.unit_of_work() as uow:
        _, secret = ident.service.create_app(
            uow.session, SYSTEM, client_id=client_id, name=client_id, client_type="confidential",
            grant_types=["client_credentials"], scopes=scopes, organization=org)
        uow.commit()
    r = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def scim_a(client, platform, ident, directory):
    """`identity apps create hr-a … --org BANK-A` and its token."""
    return _app_token(client, platform, ident, "hr-a", ["scim"], "BANK-A")


@pytest.fixture
def admin_a(client, platform, ident, directory):
    return _app_token(client, platform, ident, "iam-a", ["identity:admin", "identity:read"], "BANK-A")


def _clean(r) -> None:
    text = r.text.replace(r.request.url.path, "")  # a problem echoes the caller's own path
    for marker in B_MARKERS:
        assert marker not in text, (r.request.method, r.request.url, r.status_code, r.text)


def _b_untouched(platform, b: BankB) -> None:
    with platform.session_factory() as s:
        carol = s.get(User, b.user_id)
        assert carol is not None and carol.active and carol.username == "carol-b"
        assert carol.display_name == "Carol of B" and carol.email == "carol@bank-b.example"
        members = s.scalars(select(GroupMember.user_id).where(GroupMember.group_id == b.group_id))
        assert list(members) == [b.user_id]
        assert s.get(Group, b.group_id).display_name == "B credit team"


def _org_of(platform, username: str) -> str:
    with platform.session_factory() as s:
        from bayfin.identity.core.models import Organization

        user = s.scalar(select(User).where(User.username == username))
        return s.get(Organization, user.organization_id).code


def test_a_scim_client_lists_and_searches_only_its_own_organization(client, bank_b, scim_a):
    listed = client.get("/scim/v2/Users", headers=scim_a)
    assert listed.status_code == 200 and listed.json()["totalResults"] == 2  # alice and bob
    _clean(listed)
    for flt in ('userName eq "carol-b"', f'id eq "{bank_b.user_id}"', 'externalId eq "HR-B-7"',
                'emails[value eq "carol@bank-b.example"]', 'userName sw "c" or title pr'):
        r = client.get("/scim/v2/Users", params={"filter": flt}, headers=scim_a)
        assert r.status_code == 200 and r.json()["totalResults"] == 0, flt
        _clean(r)
    for path in ("/scim/v2/Users/.search", "/scim/v2/.search", "/scim/v2/Groups/.search"):
        r = client.post(path, headers=scim_a, json={"schemas": [SEARCH]})
        assert r.status_code == 200, r.text
        _clean(r)
    groups = client.get("/scim/v2/Groups", headers=scim_a)
    assert groups.json()["totalResults"] == 0
    member = client.get("/scim/v2/Groups", params={"filter": f'members[value eq "{bank_b.user_id}"]'},
                        headers=scim_a)
    assert member.json()["totalResults"] == 0
    _clean(member)


def test_a_scim_client_cannot_read_change_or_delete_another_banks_user(client, platform, bank_b, scim_a):
    url = f"/scim/v2/Users/{bank_b.user_id}"
    patch = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    put = {"schemas": [USER], "userName": "carol-b", "displayName": "Owned", "active": False}
    for method, body in (("GET", None), ("PUT", put), ("PATCH", patch), ("DELETE", None)):
        r = client.request(method, url, headers=scim_a, json=body)
        assert r.status_code == 404, (method, r.text)
        assert r.headers["content-type"].startswith("application/scim+json")
        _clean(r)
    _b_untouched(platform, bank_b)


def test_a_scim_client_cannot_touch_another_banks_group_or_enrol_its_users(client, platform, bank_b,
                                                                             scim_a, directory):
    url = f"/scim/v2/Groups/{bank_b.group_id}"
    patch = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members",
                                                 "value": [{"value": directory.alice_id}]}]}
    for method, body in (("GET", None), ("PUT", {"schemas": [GROUP], "displayName": "x"}),
                         ("PATCH", patch), ("DELETE", None)):
        r = client.request(method, url, headers=scim_a, json=body)
        assert r.status_code == 404, (method, r.text)
        _clean(r)
    stolen = client.post("/scim/v2/Groups", headers=scim_a, json={
        "schemas": [GROUP], "displayName": "A team", "members": [{"value": bank_b.user_id}]})
    assert stolen.status_code == 400 and stolen.json()["scimType"] == "invalidValue"
    made = client.post("/scim/v2/Groups", headers=scim_a, json={"schemas": [GROUP],
                                                                "displayName": "B credit team"})
    assert made.status_code == 201  # names are unique per organization, not across the platform
    add = client.patch(f"/scim/v2/Groups/{made.json()['id']}", headers=scim_a, json={
        "schemas": [PATCH], "Operations": [{"op": "add", "path": "members",
                                            "value": [{"value": bank_b.user_id}]}]})
    assert add.status_code == 400
    _clean(add)
    _b_untouched(platform, bank_b)


def test_a_scim_client_provisions_only_into_its_own_organization(client, platform, bank_b, scim_a):
    for name, org in (("mallory-b", "BANK-B"), ("mallory-op", "OPERATOR")):
        r = client.post("/scim/v2/Users", headers=scim_a, json={
            "schemas": [USER, ENTERPRISE], "userName": name, "password": "a long passphrase 9",
            ENTERPRISE: {"organization": org}})
        assert r.status_code == 201, r.text
        assert _org_of(platform, name) == "BANK-A"  # the enterprise organization is a label only


def test_a_scim_client_cannot_move_its_officer_into_another_bank(client, platform, bank_b, scim_a,
                                                                 directory):
    put = client.put(f"/scim/v2/Users/{directory.alice_id}", headers=scim_a, json={
        "schemas": [USER, ENTERPRISE], "userName": "alice", ENTERPRISE: {"organization": "BANK-B"}})
    assert put.status_code == 200
    patch = client.patch(f"/scim/v2/Users/{directory.alice_id}", headers=scim_a, json={
        "schemas": [PATCH], "Operations": [{"op": "replace", "value": {
            f"{ENTERPRISE}:organization": "BANK-B"}}]})
    assert patch.status_code == 200
    assert _org_of(platform, "alice") == "BANK-A"


def test_an_admin_api_caller_sees_only_its_own_subtree(client, bank_b, admin_a):
    users = client.get("/v1/identity/users", headers=admin_a)
    assert users.status_code == 200
    assert {u["username"] for u in users.json()["items"]} == {"alice", "bob"}
    orgs = client.get("/v1/identity/organizations", headers=admin_a)
    assert {o["code"] for o in orgs.json()["items"]} == {"BANK-A", "BANK-A-GZ"}
    apps = client.get("/v1/identity/apps", headers=admin_a)
    assert {a["client_id"] for a in apps.json()["items"]} == {"bank-a-core", "iam-a"}
    for r in (users, orgs, apps, client.get("/v1/identity/users", headers=admin_a,
                                            params={"organization": "BANK-B"})):
        _clean(r)
    assert client.get("/v1/identity/users", headers=admin_a,
                      params={"organization": "BANK-B"}).status_code == 404


@pytest.mark.parametrize("ref_kind", ["id", "username"])
def test_an_admin_api_caller_cannot_reach_another_banks_user(client, platform, bank_b, admin_a, ref_kind):
    ref = bank_b.user_id if ref_kind == "id" else "carol-b"
    base = f"/v1/identity/users/{ref}"
    for method, path, body in (
            ("GET", base, None), ("PATCH", base, {"active": False, "display_name": "Owned"}),
            ("PUT", f"{base}/password", {"password": "a long passphrase 9"}),
            ("GET", f"{base}/roles", None),
            ("POST", f"{base}/roles", {"app": "bank-a-core", "role": "x"}),
            ("DELETE", f"{base}/roles", {"app": "hr-b", "role": "clerk"}),
            ("POST", f"{base}/invitation", None)):
        r = client.request(method, path, headers=admin_a, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        _clean(r)
    _b_untouched(platform, bank_b)


def test_an_admin_api_caller_cannot_create_or_move_people_and_apps_outside(client, platform, bank_b,
                                                                          admin_a):
    for org in ("BANK-B", "OPERATOR"):
        r = client.post("/v1/identity/users", headers=admin_a, json={
            "username": f"eve-{org.lower()}", "display_name": "Eve", "organization": org,
            "password": "a long passphrase 9"})
        assert r.status_code == 404, r.text
    moved = client.patch("/v1/identity/users/alice", headers=admin_a, json={"organization": "BANK-B"})
    assert moved.status_code == 404
    assert _org_of(platform, "alice") == "BANK-A"
    assert client.patch("/v1/identity/users/alice", headers=admin_a,
                        json={"organization": "BANK-A-GZ"}).status_code == 200  # inside: fine
    app = {"name": "x", "client_type": "confidential", "grant_types": ["client_credentials"]}
    assert client.post("/v1/identity/apps", headers=admin_a,
                       json={**app, "client_id": "x-1", "organization": "BANK-B"}).status_code == 404
    assert client.post("/v1/identity/apps", headers=admin_a,
                       json={**app, "client_id": "x-2", "first_party": True}).status_code == 403
    for i, role in enumerate(("operator", "sscard_operator", "platform_admin")):
        assert client.post("/v1/identity/apps", headers=admin_a, json={
            **app, "client_id": f"x-3{i}", "service_roles": [role]}).status_code == 403, role
    mine = client.post("/v1/identity/apps", headers=admin_a, json={**app, "client_id": "x-4"})
    assert mine.status_code == 201 and mine.json()["organization_id"] == _org_id(platform, "BANK-A")
    for method, path, body in (("GET", "/v1/identity/apps/hr-b/roles", None),
                               ("POST", "/v1/identity/apps/hr-b/roles", {"name": "r", "permissions": []})):
        r = client.request(method, path, headers=admin_a, json=body)
        assert r.status_code == 404
        _clean(r)


def test_an_admin_api_caller_cannot_see_or_change_another_banks_app(client, platform, ident, bank_b,
                                                                    admin_a):
    """The app lifecycle routes (read, update, disable, rotate the secret, delete) act only on apps
    owned inside the caller's subtree: bank B's app does not exist for bank A's administrator."""
    with platform.unit_of_work() as uow:
        _, b_secret = ident.service.create_app(
            uow.session, SYSTEM, client_id="ledger-b", name="Bank B ledger", client_type="confidential",
            grant_types=["client_credentials"], scopes=["identity:read"], organization="BANK-B")
        uow.commit()
    for client_id in ("hr-b", "ledger-b"):
        base = f"/v1/identity/apps/{client_id}"
        for method, path, body in (
                ("GET", base, None),
                ("PATCH", base, {"name": "Owned", "redirect_uris": ["https://evil.example/cb"],
                                 "scopes": ["identity:admin"]}),
                ("PATCH", base, {"active": False}),
                ("POST", f"{base}/secret", {"grace_seconds": 0}),
                ("DELETE", base, None),
                ("GET", f"{base}/roles", None)):
            r = client.request(method, path, headers=admin_a, json=body)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert "Bank B" not in r.text and "ledger-b" not in r.text.replace(path, "")
    with platform.session_factory() as s:
        from bayfin.identity.core.models import App

        ledger = s.scalar(select(App).where(App.client_id == "ledger-b"))
        assert ledger is not None and ledger.active and ledger.name == "Bank B ledger"
        assert ledger.scopes == ["identity:read"] and ledger.previous_secret_hash is None
        assert s.scalar(select(App).where(App.client_id == "hr-b")) is not None
    token = client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                        auth=("ledger-b", b_secret))
    assert token.status_code == 200  # its secret was neither rotated nor the app disabled
    # the same routes work on bank A's own app
    assert client.get("/v1/identity/apps/bank-a-core", headers=admin_a).status_code == 200
    assert client.patch("/v1/identity/apps/bank-a-core", headers=admin_a,
                        json={"name": "Bank A core"}).json()["name"] == "Bank A core"
    assert client.post("/v1/identity/apps/bank-a-core/secret", headers=admin_a,
                       json={"grace_seconds": 60}).status_code == 201


def test_the_app_lifecycle_refuses_an_app_outside_the_actors_scope_even_if_handed_one(
        platform, ident, bank_b):
    """Defence in depth: an app fetched without the scope still cannot be changed by a delegated
    administrator (the lifecycle checks the owner itself)."""
    from bayfin.identity.core import repository as repo
    from bayfin.identity.core.scoping import AdminScope
    from bayfin.identity.core.service import Actor
    from bayfin.kernel.errors import NotFound

    with platform.unit_of_work() as uow:
        s = uow.session
        bank_a = ident.service.get_org(s, "BANK-A", SYSTEM.scope)
        actor = Actor("iam-a", "BANK-A", AdminScope(False, frozenset({bank_a.id}), bank_a.id))
        hr_b = repo.app_by_client_id(s, "hr-b")
        for change in (lambda: ident.apps.update(s, actor, hr_b, name="Owned"),
                       lambda: ident.apps.set_active(s, actor, hr_b, False),
                       lambda: ident.apps.rotate_secret(s, actor, hr_b),
                       lambda: ident.apps.delete(s, actor, hr_b)):
            with pytest.raises(NotFound):
                change()
        assert hr_b.active and hr_b.name == "Bank B HR"


def _org_id(platform, code: str) -> str:
    from bayfin.identity.core.models import Organization

    with platform.session_factory() as s:
        return s.scalar(select(Organization.id).where(Organization.code == code))


def test_platform_wide_powers_need_the_explicit_platform_admin_role(client, bank_b, admin_a,
                                                                    auth_headers):
    assert client.post("/v1/identity/organizations", headers=admin_a, json={
        "code": "BANK-C", "name": "C", "org_type": "institution"}).status_code == 403
    assert client.post("/v1/identity/organizations", headers=admin_a, json={
        "code": "BANK-B-SZ", "name": "x", "org_type": "institution", "parent": "BANK-B"}).status_code == 404
    assert client.post("/v1/identity/organizations", headers=admin_a, json={
        "code": "BANK-A-SZ", "name": "A Shenzhen", "org_type": "institution",
        "parent": "BANK-A"}).status_code == 201
    assert client.post("/v1/identity/apps/-/roles", headers=admin_a,
                       json={"name": "platform_admin", "permissions": []}).status_code == 403
    assert client.post("/v1/identity/apps/bank-a-core/roles", headers=admin_a,
                       json={"name": "operator", "permissions": []}).status_code == 403
    assert client.post("/v1/identity/users/alice/roles", headers=admin_a,
                       json={"role": "platform_admin"}).status_code == 403
    assert client.get("/v1/identity/keys", headers=admin_a).status_code == 403
    assert client.post("/v1/identity/keys/rotate", headers=admin_a).status_code == 403
    # An operator administrator without the role is confined to the operator's own subtree…
    operator = auth_headers(subject="op-2", org="OPERATOR", org_type="operator",
                            scopes=["identity:read"])
    assert client.get(f"/v1/identity/users/{bank_b.user_id}", headers=operator).status_code == 404
    # …the role held outside the operator gives nothing more…
    forged = auth_headers(subject="x", org="BANK-A", org_type="institution", roles=["platform_admin"],
                          scopes=["identity:read"])
    assert client.get(f"/v1/identity/users/{bank_b.user_id}", headers=forged).status_code == 404
    # …and a caller of no known organization administers nothing.
    stray = auth_headers(subject="x", org="NO-SUCH", org_type="institution", scopes=["identity:read"])
    assert client.get("/v1/identity/users", headers=stray).status_code == 403
    platform_admin = auth_headers(subject="op-1", org="OPERATOR", org_type="operator",
                                  roles=["platform_admin"], scopes=["identity:read"])
    everyone = client.get("/v1/identity/users", headers=platform_admin).json()["items"]
    assert {"alice", "bob", "carol-b"} <= {u["username"] for u in everyone}


def test_a_scope_is_required_by_every_scoped_query(platform):
    from bayfin.identity.core import repository as repo
    from bayfin.kernel.pagination import PageRequest

    with platform.session_factory() as s:
        for query in (lambda: repo.list_users(s, None, None, PageRequest(10)),  # type: ignore[arg-type]
                      lambda: repo.list_orgs(s, None, None, PageRequest(10)),  # type: ignore[arg-type]
                      lambda: repo.list_apps(s, None, PageRequest(10)),  # type: ignore[arg-type]
                      lambda: repo.user_in_scope(s, None, "alice")):  # type: ignore[arg-type]
            with pytest.raises(TypeError):
                query()


def test_a_delegated_admin_cannot_take_over_a_user_holding_a_platform_role(client, platform, ident,
                                                                           directory, auth_headers):
    with platform.unit_of_work() as uow:
        s = uow.session
        root = ident.service.create_user(s, SYSTEM, username="root", display_name="Root",
                                         organization="OPERATOR", password="correct horse 42")
        ident.service.create_role(s, SYSTEM, app=None, name="platform_admin", permissions=[])
        ident.service.assign_role(s, SYSTEM, root, app=None, role="platform_admin")
        root_id = root.id
        uow.commit()
    operator_admin = auth_headers(subject="op-2", org="OPERATOR", org_type="operator",
                                  scopes=["identity:admin", "identity:read", "scim"])
    assert client.get("/v1/identity/users/root", headers=operator_admin).status_code == 200
    for method, path, body in (
            ("PUT", "/v1/identity/users/root/password", {"password": "a long passphrase 9"}),
            ("PATCH", "/v1/identity/users/root", {"active": False}),
            ("POST", "/v1/identity/users/root/invitation", None),
            ("PUT", f"/scim/v2/Users/{root_id}", {"schemas": [USER], "userName": "root",
                                                  "password": "a long passphrase 9"}),
            ("DELETE", f"/scim/v2/Users/{root_id}", None)):
        r = client.request(method, path, headers=operator_admin, json=body)
        assert r.status_code == 403, (method, path, r.text)
    with platform.session_factory() as s:
        assert s.get(User, root_id).active
