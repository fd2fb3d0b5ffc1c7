def test_health_answers_without_a_token(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.headers["x-request-id"]


def test_unknown_routes_answer_problem_json(client):
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404


def test_openapi_documents_bearer_auth_and_problem_schema(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "Problem" in spec["components"]["schemas"]


def test_a_refusal_that_asks_to_persist_keeps_its_audit_entry_and_others_roll_back(platform):
    from fastapi import APIRouter
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from bayfin.api.app import create_app
    from bayfin.api.deps import Session
    from bayfin.kernel.audit import AuditEntry
    from bayfin.kernel.errors import Forbidden

    class Kept(Forbidden):
        persist_on_raise = True

    router = APIRouter()

    @router.post("/t/{kind}")
    def refuse(kind: str, session: Session) -> None:
        platform.audit.record(session, actor="u", action=f"test.{kind}", subject_type="t",
                              subject_id=kind, outcome="refused")
        raise (Kept if kind == "kept" else Forbidden)("no")

    app = create_app(platform=platform)
    app.include_router(router)
    with TestClient(app) as c:
        assert c.post("/t/kept").status_code == 403
        assert c.post("/t/lost").status_code == 403
    with platform.session_factory() as s:
        actions = s.scalars(select(AuditEntry.action)).all()
    assert "test.kept" in actions and "test.lost" not in actions


def test_a_spent_rate_limit_answers_429_problem_json_with_retry_after(platform, auth_headers):
    from fastapi import APIRouter, Depends
    from fastapi.testclient import TestClient

    from bayfin.api.app import create_app
    from bayfin.api.deps import rate_limited

    platform.settings.rate_limit_overrides = {"bank-slow": {"rate_per_second": 0.01, "rate_burst": 2}}
    router = APIRouter()

    @router.get("/t/limited", dependencies=[Depends(rate_limited("reports"))])
    def limited() -> dict[str, bool]:
        return {"ok": True}

    app = create_app(platform=platform)
    app.include_router(router)
    slow = auth_headers("u", org="bank-slow", org_type="institution")
    fast = auth_headers("u", org="bank-fast", org_type="institution")
    with TestClient(app) as c:
        codes = [c.get("/t/limited", headers=slow).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.get("/t/limited", headers=slow)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["retry-after"]) >= 1 and r.json()["reason"] == "rate"
        assert c.get("/t/limited", headers=fast).status_code == 200
