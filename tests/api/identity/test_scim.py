"""SCIM 2.0 provisioning: create, filter, page, PATCH, groups, and deprovisioning that cuts access."""

from __future__ import annotations

import pytest

from tests.api.identity.conftest import login

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def scim(auth_headers):
    return auth_headers(subject="hr-connector", org="BANK-A", org_type="institution", scopes=["scim"])


def _user(client, scim, name, **extra):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
            "name": {"givenName": name.title(), "familyName": "Chen"},
            "emails": [{"value": f"{name}@bank-a.example", "primary": True}],
            ENTERPRISE: {"organization": "BANK-A"}, **extra}
    r = client.post("/scim/v2/Users", json=body, headers=scim)
    assert r.status_code == 201, r.text
    return r.json()


def test_scim_needs_the_scim_scope(client, directory, auth_headers):
    assert client.get("/scim/v2/Users").status_code == 401
    assert client.get("/scim/v2/Users", headers=auth_headers(scopes=["identity:admin"])).status_code == 403


def test_a_provisioned_user_comes_back_as_a_scim_resource(client, directory, scim):
    made = _user(client, scim, "dora", externalId="hr-1001")
    assert made["userName"] == "dora" and made["name"] == {"givenName": "Dora", "familyName": "Chen"}
    assert "displayName" not in made  # not provisioned, so not invented
    assert "active" not in made  # nor is active (the user can sign in: the platform's default)
    assert made[ENTERPRISE] == {"organization": "BANK-A"}
    got = client.get(f"/scim/v2/Users/{made['id']}", headers=scim)
    assert got.headers["content-type"].startswith("application/scim+json")
    assert got.json()["emails"][0]["value"] == "dora@bank-a.example"
    dup = client.post("/scim/v2/Users", json={"userName": "DORA"}, headers=scim)
    assert dup.status_code == 409 and dup.json()["scimType"] == "uniqueness"


def test_filters_select_users(client, directory, scim):
    _user(client, scim, "erin", externalId="hr-2001")
    _user(client, scim, "evan", externalId="hr-2002", active=False)
    one = client.get("/scim/v2/Users", params={"filter": 'userName eq "ERIN"'}, headers=scim).json()
    assert one["totalResults"] == 1 and one["Resources"][0]["userName"] == "erin"
    starts = client.get("/scim/v2/Users", params={"filter": 'externalId sw "hr-200" and active eq true'},
                        headers=scim).json()
    assert [r["userName"] for r in starts["Resources"]] == ["erin"]
    flt = 'emails.value co "@bank-a" and not (userName eq "alice")'
    emails = client.get("/scim/v2/Users", params={"filter": flt}, headers=scim).json()
    assert {r["userName"] for r in emails["Resources"]} == {"erin", "evan"}
    bad = client.get("/scim/v2/Users", params={"filter": 'userName zz "x"'}, headers=scim)
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_paging_walks_the_whole_list_once(client, directory, scim):
    for i in range(5):
        _user(client, scim, f"pager{i}")
    seen = []
    start = 1
    while True:
        page = client.get("/scim/v2/Users", params={"filter": 'userName sw "pager"', "startIndex": start,
                                                    "count": 2}, headers=scim).json()
        assert page["totalResults"] == 5 and page["startIndex"] == start
        if not page["Resources"]:
            break
        seen += [r["userName"] for r in page["Resources"]]
        start += page["itemsPerPage"]
    assert seen == [f"pager{i}" for i in range(5)]


def test_patch_changes_attributes(client, directory, scim):
    made = _user(client, scim, "fay")
    r = client.patch(f"/scim/v2/Users/{made['id']}", headers=scim, json={"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "displayName", "value": "Fay Lin"},
        {"op": "replace", "value": {"externalId": "hr-3001"}},
        {"op": "add", "path": "emails", "value": [{"value": "fay.lin@bank-a.example", "primary": True}]}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["displayName"] == "Fay Lin" and body["externalId"] == "hr-3001"
    primary = [e["value"] for e in body["emails"] if e.get("primary")]
    assert primary == ["fay.lin@bank-a.example"] and len(body["emails"]) == 2
    bad = client.patch(f"/scim/v2/Users/{made['id']}", headers=scim,
                       json={"schemas": [PATCH],
                             "Operations": [{"op": "replace", "path": "nonsense", "value": 1}]})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidPath"


def test_deactivating_through_scim_ends_sessions_and_refresh_tokens_at_once(client, directory, scim):
    from tests.api.identity.test_authorization_code import _portal_tokens

    tokens = _portal_tokens(client, directory)
    r = client.patch(f"/scim/v2/Users/{directory.alice_id}", headers=scim,
                     json={"schemas": [PATCH],
                           "Operations": [{"op": "replace", "path": "active", "value": False}]})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/oauth2/userinfo",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    assert client.post("/oauth2/token", data={"grant_type": "refresh_token",
                                              "refresh_token": tokens["refresh_token"]},
                       auth=("portal", directory.portal_secret)).status_code == 400
    assert login(client).status_code == 401


def test_deleting_a_user_removes_it(client, directory, scim):
    made = _user(client, scim, "gus")
    assert client.delete(f"/scim/v2/Users/{made['id']}", headers=scim).status_code == 204
    assert client.get(f"/scim/v2/Users/{made['id']}", headers=scim).status_code == 404


def test_groups_are_created_patched_and_filtered_by_member(client, directory, scim):
    hana = _user(client, scim, "hana")
    r = client.post("/scim/v2/Groups", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Credit team",
        "members": [{"value": directory.alice_id}]})
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    r = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json={"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": hana["id"]}]},
        {"op": "remove", "path": f'members[value eq "{directory.alice_id}"]'}]})
    assert r.status_code == 200
    assert [m["value"] for m in r.json()["members"]] == [hana["id"]]
    found = client.get("/scim/v2/Groups", params={"filter": f'members.value eq "{hana["id"]}"'},
                       headers=scim).json()
    assert [g["displayName"] for g in found["Resources"]] == ["Credit team"]
    user = client.get(f"/scim/v2/Users/{hana['id']}", headers=scim).json()
    assert user["groups"][0]["display"] == "Credit team"
    assert client.delete(f"/scim/v2/Groups/{gid}", headers=scim).status_code == 204


def test_service_provider_config_advertises_patch_and_filter(client, directory):
    cfg = client.get("/scim/v2/ServiceProviderConfig").json()
    assert cfg["patch"]["supported"] and cfg["filter"]["supported"]


SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
FULL = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE], "userName": "ivy",
    "externalId": "hr-9001", "name": {"givenName": "Ivy", "familyName": "Wong", "middleName": "Q"},
    "displayName": "Ivy Wong", "title": "Credit officer", "nickName": "Ives",
    "emails": [{"value": "ivy@bank-a.example", "type": "work", "primary": True},
               {"value": "ivy@home.example", "type": "home"}],
    "phoneNumbers": [{"value": "+86 20 1234 5678", "type": "work"},
                     {"value": "+86 138 0000 0000", "type": "mobile"}],
    "addresses": [{"type": "work", "streetAddress": "1 Zhujiang Rd", "locality": "Guangzhou",
                   "country": "CN"}],
    "roles": [{"value": "credit-officer", "primary": True}],
    ENTERPRISE: {"employeeNumber": "E-77", "department": "SME lending", "costCenter": "GZ-1",
                 "organization": "Bank A Guangzhou",
                 "manager": {"value": "usr_boss", "$ref": "../Users/usr_boss"}}}


def _ivy(client, scim):
    r = client.post("/scim/v2/Users", json=FULL, headers=scim)
    assert r.status_code == 201, r.text
    return r.json()


def test_nothing_provisioned_is_dropped(client, directory, scim):
    made = _ivy(client, scim)
    got = client.get(f"/scim/v2/Users/{made['id']}", headers=scim).json()
    for key in ("name", "title", "nickName", "emails", "phoneNumbers", "addresses", "roles",
                "displayName", "externalId"):
        assert got[key] == FULL[key], key
    assert {k: got[ENTERPRISE][k] for k in FULL[ENTERPRISE]} == FULL[ENTERPRISE]
    assert "password" not in got


def test_patch_reaches_every_provisioned_attribute(client, directory, scim):
    uid = _ivy(client, scim)["id"]
    ops = [{"op": "replace", "path": "name.givenName", "value": "Ivana"},
           {"op": "replace", "path": "title", "value": "Senior credit officer"},
           {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+86 20 8888 8888"},
           {"op": "remove", "path": 'emails[type eq "home"]'},
           {"op": "remove", "path": "addresses"},
           {"op": "add", "path": "roles", "value": [{"value": "approver"}]},
           {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Risk"},
           {"op": "replace", "path": f"{ENTERPRISE}:manager.value", "value": "usr_other"}]
    r = client.patch(f"/scim/v2/Users/{uid}", headers=scim, json={"schemas": [PATCH], "Operations": ops})
    assert r.status_code == 200, r.text
    body = client.get(f"/scim/v2/Users/{uid}", headers=scim).json()
    assert body["name"]["givenName"] == "Ivana" and body["title"] == "Senior credit officer"
    assert {p["type"]: p["value"] for p in body["phoneNumbers"]}["work"] == "+86 20 8888 8888"
    assert [e["type"] for e in body["emails"]] == ["work"] and "addresses" not in body
    assert {x["value"] for x in body["roles"]} == {"credit-officer", "approver"}
    assert body[ENTERPRISE]["department"] == "Risk"
    assert body[ENTERPRISE]["manager"]["value"] == "usr_other"


def test_attributes_and_excluded_attributes_select_what_comes_back(client, directory, scim):
    uid = _ivy(client, scim)["id"]
    slim = client.get(f"/scim/v2/Users/{uid}", headers=scim,
                      params={"excludedAttributes": "emails,phoneNumbers," + ENTERPRISE}).json()
    assert "emails" not in slim and "phoneNumbers" not in slim and ENTERPRISE not in slim
    assert slim["title"] == "Credit officer"
    only = client.get("/scim/v2/Users", headers=scim,
                      params={"filter": 'userName eq "ivy"', "attributes": "userName"}).json()
    assert set(only["Resources"][0]) <= {"schemas", "id", "userName"}


def test_filters_on_dates_and_value_paths(client, directory, scim):
    _ivy(client, scim)
    since = client.get("/scim/v2/Users", headers=scim,
                       params={"filter": 'meta.lastModified gt "2000-01-01T00:00:00Z"'})
    assert since.status_code == 200 and since.json()["totalResults"] == 3
    future = client.get("/scim/v2/Users", headers=scim,
                        params={"filter": 'meta.created ge "2999-01-01T00:00:00+08:00"'}).json()
    assert future["totalResults"] == 0
    bad = client.get("/scim/v2/Users", headers=scim, params={"filter": 'meta.lastModified gt "soon"'})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    for flt in ('emails[type eq "home" and value ew "@home.example"]', 'title sw "credit"',
                'phoneNumbers.type eq "mobile" and userName pr', f'{ENTERPRISE}:department eq "SME lending"'):
        r = client.get("/scim/v2/Users", headers=scim, params={"filter": flt})
        assert [u["userName"] for u in r.json()["Resources"]] == ["ivy"], flt
    work = client.get("/scim/v2/Users", headers=scim, params={"filter": 'emails[type eq "work"]'}).json()
    assert {u["userName"] for u in work["Resources"]} == {"alice", "ivy"}


def test_search_by_post_pages_like_a_listing(client, directory, scim):
    _ivy(client, scim)
    r = client.post("/scim/v2/Users/.search", headers=scim, json={
        "schemas": [SEARCH], "filter": 'title pr', "attributes": ["userName"], "count": 5})
    assert r.status_code == 200 and [u["userName"] for u in r.json()["Resources"]] == ["ivy"]
    everything = client.post("/scim/v2/.search", headers=scim, json={"schemas": [SEARCH]}).json()
    assert everything["totalResults"] == 3
    assert client.post("/scim/v2/.search", headers=scim, json={"filter": "x"}).status_code == 400


def test_huge_paging_numbers_are_clamped_not_sent_to_the_database(client, directory, scim):
    r = client.get("/scim/v2/Users", headers=scim,
                   params={"startIndex": "149628450750703697920", "count": "99999999999999999999"})
    assert r.status_code == 200 and r.json()["Resources"] == []
    neg = client.get("/scim/v2/Users", headers=scim, params={"startIndex": -5, "count": -1}).json()
    assert neg["startIndex"] == 1 and neg["Resources"] == [] and neg["totalResults"] == 2


def test_discovery_publishes_schemas_and_resource_types_with_extensions(client, directory):
    schemas = client.get("/scim/v2/Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {
        "urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE,
        "urn:ietf:params:scim:schemas:core:2.0:Group"}
    user = client.get("/scim/v2/ResourceTypes/User").json()
    assert user["endpoint"] == "/Users"
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    one = client.get(f"/scim/v2/Schemas/{ENTERPRISE}").json()
    assert {a["name"] for a in one["attributes"]} >= {"employeeNumber", "manager", "organization"}


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "/scim/v2/Users", {}, 401),
    ("GET", "/scim/v2/Users/nobody", {"auth": True}, 404),
    ("GET", "/scim/v2/ResourceTypes/Nope", {}, 404),
    ("GET", "/scim/v2/Nothing/here", {"auth": True}, 404),
    ("DELETE", "/scim/v2/Schemas", {"auth": True}, 405),
    ("POST", "/scim/v2/Users", {"auth": True, "content": b"{not json", "type": "application/scim+json"}, 400),
    ("POST", "/scim/v2/Users", {"auth": True, "content": b"{}"}, 415),
    ("POST", "/scim/v2/Users", {"auth": True, "content": b"{}", "type": "text/plain"}, 415),
    ("POST", "/scim/v2/Users", {"auth": True, "json": ["a list"]}, 400),
    ("POST", "/scim/v2/Users", {"auth": True, "json": {"userName": "alice"}}, 409),
    ("GET", "/scim/v2/Users", {"auth": True, "params": {"startIndex": "abc"}}, 422),
    ("POST", "/scim/v2/Groups", {"auth": True, "json": {"displayName": "G", "members": [
        {"value": "grp_x", "type": "Group"}]}}, 400),
])
def test_every_scim_error_is_a_scim_error_message(client, directory, scim, auth_headers, method, path,
                                                  kwargs, status):
    kwargs = dict(kwargs)
    headers = dict(scim) if kwargs.pop("auth", False) else {}
    if "type" in kwargs:
        headers["content-type"] = kwargs.pop("type")
    r = client.request(method, path, headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]


def test_forbidden_is_a_scim_error_too(client, directory, auth_headers):
    r = client.get("/scim/v2/Users", headers=auth_headers(scopes=["identity:read"]))
    assert r.status_code == 403 and r.json()["schemas"] == [ERROR]


def test_group_members_carry_their_type(client, directory, scim):
    r = client.post("/scim/v2/Groups", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Typed",
        "members": [{"value": directory.bob_id, "type": "User", "display": "Bob B."}]})
    assert r.status_code == 201, r.text
    (member,) = r.json()["members"]
    assert member["value"] == directory.bob_id and member["type"] == "User"
    assert member["display"] == "Bob B." and member["$ref"].endswith(f"/scim/v2/Users/{directory.bob_id}")


def test_microsoft_entra_habits_are_understood(client, directory, scim):
    made = client.post("/scim/v2/Users", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE], "userName": "jun",
        "active": True, ENTERPRISE: {"manager": {"value": directory.bob_id}}})
    assert made.status_code == 201, made.text
    assert made.json()[ENTERPRISE]["manager"]["value"] == directory.bob_id
    uid = made.json()["id"]
    r = client.patch(f"/scim/v2/Users/{uid}", headers=scim, json={"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": directory.alice_id},
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "jun@bank-a.example"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is False and body[ENTERPRISE]["manager"]["value"] == directory.alice_id
    assert [(e["value"], e["type"]) for e in body["emails"]] == [("jun@bank-a.example", "work")]


def test_every_scim_answer_matches_the_shape_the_openapi_document_gives_it(client, directory, scim):
    """The service writes SCIM bodies itself (scim2-models); the documented models must not promise
    an attribute it leaves out (an unprovisioned displayName, a deselected one) or miss a list."""
    from bayfin.identity.scim import openapi as doc

    made = _user(client, scim, "fay")
    group = client.post("/scim/v2/Groups", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "fay's team",
        "members": [{"value": made["id"]}]}).json()
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    for model, method, path, params, body in (
            (doc.ScimUser, "GET", f"/scim/v2/Users/{made['id']}", {"attributes": "userName"}, None),
            (doc.ScimUser, "GET", f"/scim/v2/Users/{made['id']}", None, None),
            (doc.ScimUserList, "GET", "/scim/v2/Users", None, None),
            (doc.ScimUserList, "POST", "/scim/v2/Users/.search", None, search),
            (doc.ScimGroup, "GET", f"/scim/v2/Groups/{group['id']}", None, None),
            (doc.ScimGroupList, "GET", "/scim/v2/Groups", None, None),
            (doc.ScimGroupList, "POST", "/scim/v2/Groups/.search", None, search),
            (doc.ScimResourceList, "POST", "/scim/v2/.search", None, search),
            (doc.ScimServiceProviderConfig, "GET", "/scim/v2/ServiceProviderConfig", None, None),
            (doc.ScimResourceTypes, "GET", "/scim/v2/ResourceTypes", None, None),
            (doc.ScimResourceType, "GET", "/scim/v2/ResourceTypes/User", None, None),
            (doc.ScimSchemas, "GET", "/scim/v2/Schemas", None, None),
            (doc.ScimSchema, "GET", f"/scim/v2/Schemas/{ENTERPRISE}", None, None)):
        r = client.request(method, path, params=params, json=body, headers=scim)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"].startswith("application/scim+json"), path
        model.model_validate(r.json())
    model = doc.ScimUser.model_validate(made)
    assert model.displayName is None and model.userName == "fay"
