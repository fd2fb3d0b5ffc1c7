"""Demo data for the identity platform: the operator, a regulator, a bank with a branch, an SME,
an administrator with a generated password, and the demo console registered as an app."""

from __future__ import annotations

import secrets
from pathlib import Path

from bayfin.identity.core import repository as repo
from bayfin.identity.core.scoping import PLATFORM_ADMIN
from bayfin.identity.core.service import SYSTEM
from bayfin.identity.core.services import IDENTITY
from bayfin.kernel.platform import Platform


def seed_demo(platform: Platform, workdir: Path, seed: int) -> None:
    """Load the demo directory once; the administrator's password is written to ``workdir``."""
    ident = platform.service(IDENTITY)
    svc = ident.service
    with platform.unit_of_work() as uow:
        s = uow.session
        if repo.org_by_code_or_id(s, "OPERATOR") is not None:
            return
        svc.create_org(s, SYSTEM, code="OPERATOR", name="Guangdong fintech pilot operator",
                       org_type="operator")
        svc.create_org(s, SYSTEM, code="PBC-GZ", name="Regional financial regulator",
                       org_type="regulator")
        svc.create_org(s, SYSTEM, code="BANK-GD", name="Demo Bank of Guangdong", org_type="institution")
        svc.create_org(s, SYSTEM, code="BANK-GD-GZ", name="Demo Bank of Guangdong, Guangzhou branch",
                       org_type="institution", parent="BANK-GD")
        svc.create_org(s, SYSTEM, code="SME-0001", name="Pearl River Tea Co.", org_type="enterprise")
        password = secrets.token_urlsafe(12) + "-7"
        admin = svc.create_user(s, SYSTEM, username="admin", display_name="Platform administrator",
                                organization="OPERATOR", password=password)
        base = platform.settings.issuer.rstrip("/")
        svc.create_app(s, SYSTEM, client_id="bayfin-console", name="bayfin console",
                       client_type="public", redirect_uris=[f"{base}/console/callback"],
                       post_logout_redirect_uris=[f"{base}/", f"{base}/console/signed-out"],
                       scopes=["openid", "profile", "identity:read", "identity:admin",
                               # what the web console's pages call (bayfin.web.wiring.SCOPES)
                               "consent:manage", "consent:request", "credit:read", "fraud:read",
                               "terminals:read", "financing:apply", "financing:products",
                               "financing:review", "financing:statistics", "financing:operate"],
                       organization="OPERATOR", first_party=True)
        svc.create_role(s, SYSTEM, app="bayfin-console", name="identity-admin",
                        permissions=["identity:read", "identity:admin"])
        svc.assign_role(s, SYSTEM, admin, app="bayfin-console", role="identity-admin")
        # Administering every organization (not only the operator's own) is an explicit grant.
        svc.create_role(s, SYSTEM, app=None, name=PLATFORM_ADMIN, permissions=[])
        svc.assign_role(s, SYSTEM, admin, app=None, role=PLATFORM_ADMIN)
        uow.commit()
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "identity-admin.txt"
    target.write_text(f"user: admin\npassword: {password}\n")
    target.chmod(0o600)
