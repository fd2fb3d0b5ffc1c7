"""Demo users of the console, one per role, signed in through the identity platform's SSO.

Runs after the identity seeder (which registers the ``bayfin-console`` app) and the hub ingest: the
enterprise user belongs to a real firm of the demo region, named by its unified social credit code.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from bayfin.identity import IDENTITY, SYSTEM, org_by_code_or_id, user_by_username
from bayfin.kernel.platform import Platform
from bayfin.web import repository as repo
from bayfin.web.wiring import CLIENT_ID

#: role → the permissions (scopes) it grants in the console app; same names the APIs require.
ROLES: dict[str, list[str]] = {
    "operator": ["fraud:read", "financing:statistics", "financing:operate"],
    "enterprise_admin": ["consent:manage", "financing:apply"],
    "credit_officer": ["consent:request", "credit:read", "financing:products", "financing:review"],
    "risk_analyst": [],
    "fraud_analyst": ["fraud:read"],
    "terminals_operator": ["terminals:read"],
}

#: user name → (display name, organization code or None for the demo firm, roles)
USERS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "operator": ("平台运营 Operator", "OPERATOR", ("operator", "terminals_operator")),
    "firm": ("企业财务 Finance manager", None, ("enterprise_admin",)),
    "officer": ("信贷员 Credit officer", "BANK-GD-GZ", ("credit_officer",)),
    "analyst": ("风险分析 Risk analyst", "PBC-GZ", ("risk_analyst",)),
    "fraud": ("反欺诈分析 Fraud analyst", "BANK-GD", ("fraud_analyst",)),
}


def seed_console_users(platform: Platform, enterprise_code: str, enterprise_name: str,
                       password: str) -> bool:
    """Create the console roles, the demo firm's organization and one user per role (once)."""
    svc = platform.service(IDENTITY).service
    with platform.unit_of_work() as uow:
        s = uow.session
        if user_by_username(s, "officer") is not None:
            return False
        for role, permissions in ROLES.items():
            svc.create_role(s, SYSTEM, app=CLIENT_ID, name=role, permissions=permissions)
        if org_by_code_or_id(s, enterprise_code) is None:
            svc.create_org(s, SYSTEM, code=enterprise_code, name=enterprise_name, org_type="enterprise")
        for username, (display, org, roles) in USERS.items():
            user = svc.create_user(s, SYSTEM, username=username, display_name=display,
                                   organization=org or enterprise_code, password=password)
            for role in roles:
                svc.assign_role(s, SYSTEM, user, app=CLIENT_ID, role=role)
        uow.commit()
    return True


def demo_firm(platform: Platform) -> tuple[str, str] | None:
    """The demo firm: the first registered enterprise by name that the hub knows."""
    with platform.session_factory() as session:
        found = repo.search_firms(session, "有限公司", limit=1) or repo.search_firms(session, "公司", limit=1)
    if not found:
        return None
    return found[0]["credit_code"], found[0]["name"] or found[0]["credit_code"]


def seed_demo(platform: Platform, workdir: Path, seed: int) -> None:
    """One console user per role; their common password is written to ``workdir``."""
    firm = demo_firm(platform)
    if firm is None:
        return
    password = secrets.token_urlsafe(9) + "-7"
    if not seed_console_users(platform, firm[0], firm[1], password):
        return
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "console-users.txt"
    target.write_text("".join(f"user: {u}  ({d})\n" for u, (d, _, _) in USERS.items())
                      + f"password (all of them): {password}\nenterprise: {firm[0]} {firm[1]}\n")
    target.chmod(0o600)
