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
    assert made["userName"] == "dora" and made["displayName"] == "Dora Chen"
    assert made["active"] is True and made[ENTERPRISE] == {"organization": "BANK-A"}
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
    assert body["emails"][0]["value"] == "fay.lin@bank-a.example"
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
