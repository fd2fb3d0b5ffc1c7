"""``bayfin identity …``: organizations, users, apps, roles and signing keys from the command line."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, console, emit, err_console
from bayfin.identity.core import repository as repo
from bayfin.identity.core.service import SYSTEM, after_commit
from bayfin.identity.core.services import IDENTITY, Identity
from bayfin.kernel.errors import AppError
from bayfin.kernel.pagination import PageRequest
from bayfin.kernel.platform import Platform

app = typer.Typer(help="Identity platform: users, organizations, apps, roles, keys.",
                  no_args_is_help=True)
orgs_app = typer.Typer(help="Institutions (with branches), enterprises, operator, regulators.",
                       no_args_is_help=True)
users_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
apps_app = typer.Typer(help="Registered applications (OAuth clients).", no_args_is_help=True)
roles_app = typer.Typer(help="Roles and permissions per application.", no_args_is_help=True)
keys_app = typer.Typer(help="Token-signing keys.", no_args_is_help=True)
maintenance_app = typer.Typer(help="Housekeeping.", no_args_is_help=True)
for _name, _sub in (("orgs", orgs_app), ("users", users_app), ("apps", apps_app),
                    ("roles", roles_app), ("keys", keys_app),
                    ("maintenance", maintenance_app)):
    app.add_typer(_sub, name=_name)

T = TypeVar("T")


def _run(work: Callable[[Platform, Identity, Any], T]) -> T:
    """Run ``work`` in one committed unit of work; an AppError prints and exits 1."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        try:
            result = work(platform, platform.service(IDENTITY), uow.session)
            uow.commit()
        except AppError as exc:
            err_console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
        return result


def _org_row(o: Any) -> dict[str, Any]:
    return {"id": o.id, "code": o.code, "name": o.name, "org_type": o.org_type,
            "parent_id": o.parent_id}


def _user_row(u: Any) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name,
            "organization_id": u.organization_id, "active": u.active}


@orgs_app.command("create")
def orgs_create(code: str, name: str,
                org_type: str = typer.Option(..., "--type", help="operator|institution|enterprise|regulator"),
                parent: str = typer.Option(None, help="Head office (id or code) of a branch."),
                as_json: bool = JsonOption) -> None:
    """Register an organization."""
    row = _run(lambda p, i, s: _org_row(i.service.create_org(s, SYSTEM, code=code, name=name,
                                                              org_type=org_type, parent=parent)))
    emit(row, as_json=as_json, title="organization created")


@orgs_app.command("list")
def orgs_list(org_type: str = typer.Option(None, "--type"), limit: int = 100,
              as_json: bool = JsonOption) -> None:
    """List organizations."""
    rows = _run(lambda p, i, s: [_org_row(o) for o in repo.list_orgs(
        s, SYSTEM.scope, org_type, PageRequest(limit))[:limit]])
    emit(rows, as_json=as_json, title="organizations")


@users_app.command("create")
def users_create(username: str, display_name: str = typer.Option(None, "--name"),
                 org: str = typer.Option(None, help="Organization id or code."),
                 email: str = typer.Option(None),
                 password: bool = typer.Option(False, "--password", help="Prompt for a password."),
                 as_json: bool = JsonOption) -> None:
    """Create a user (``--password`` prompts without echo)."""
    secret = getpass.getpass("password: ") if password else None
    row = _run(lambda p, i, s: _user_row(i.service.create_user(
        s, SYSTEM, username=username, display_name=display_name or username, organization=org,
        email=email, password=secret)))
    emit(row, as_json=as_json, title="user created")


@users_app.command("list")
def users_list(org: str = typer.Option(None), limit: int = 100, as_json: bool = JsonOption) -> None:
    """List users."""
    def work(p: Platform, i: Identity, s: Any) -> list[dict[str, Any]]:
        org_id = i.service.get_org(s, org, SYSTEM.scope).id if org else None
        return [_user_row(u)
                for u in repo.list_users(s, SYSTEM.scope, org_id, PageRequest(limit))[:limit]]
    emit(_run(work), as_json=as_json, title="users")


def _set_active(username: str, active: bool) -> dict[str, Any]:
    def work(p: Platform, i: Identity, s: Any) -> dict[str, Any]:
        user = i.service.get_user(s, username, SYSTEM.scope)
        return _user_row(i.service.set_active(s, SYSTEM, user, active))
    return _run(work)


@users_app.command("disable")
def users_disable(username: str, as_json: bool = JsonOption) -> None:
    """Disable a user: sessions, refresh and access tokens end at once."""
    emit(_set_active(username, False), as_json=as_json, title="user disabled")


@users_app.command("enable")
def users_enable(username: str, as_json: bool = JsonOption) -> None:
    """Enable a user again."""
    emit(_set_active(username, True), as_json=as_json, title="user enabled")


@users_app.command("set-password")
def users_set_password(username: str) -> None:
    """Set a user's password (prompted twice, without echo)."""
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        err_console.print("[red]the passwords differ[/red]")
        raise typer.Exit(1)
    _run(lambda p, i, s: i.service.set_password(s, SYSTEM, i.service.get_user(s, username, SYSTEM.scope),
                                                first))
    console.print("[green]password set[/green]")


@users_app.command("invite")
def users_invite(username: str, as_json: bool = JsonOption) -> None:
    """A one-time link (72 hours) with which a provisioned user chooses their password."""
    from bayfin.identity.core.invitations import Invitations

    def work(p: Platform, i: Identity, s: Any) -> dict[str, Any]:
        user = i.service.get_user(s, username, SYSTEM.scope)
        url, expires = Invitations(i.service, i.issuer).invite(s, SYSTEM, user)
        return {"user": user.username, "url": url, "expires_at": expires.isoformat()}
    emit(_run(work), as_json=as_json, title="invitation (hand it to the user; shown once)")


@apps_app.command("create")
def apps_create(client_id: str, name: str = typer.Option(..., help="Display name."),
                client_type: str = typer.Option("confidential", "--type", help="public|confidential"),
                redirect_uri: list[str] = typer.Option([], help="Exact redirect URI (repeatable)."),
                logout_uri: list[str] = typer.Option([], help="Post-logout redirect URI (repeatable)."),
                grant: list[str] = typer.Option([], help="Grant type (repeatable)."),
                scope: list[str] = typer.Option([], help="Allowed scope (repeatable)."),
                service_role: list[str] = typer.Option([], help="Role of client-credentials tokens."),
                org: str = typer.Option(None, help="Owning organization (id or code)."),
                first_party: bool = typer.Option(False, help="Skip the consent screen."),
                as_json: bool = JsonOption) -> None:
    """Register an application; prints its client secret once."""
    def work(p: Platform, i: Identity, s: Any) -> dict[str, Any]:
        created, secret = i.service.create_app(
            s, SYSTEM, client_id=client_id, name=name, client_type=client_type,
            redirect_uris=redirect_uri, post_logout_redirect_uris=logout_uri,
            grant_types=grant or None, scopes=scope or None, service_roles=service_role,
            organization=org, first_party=first_party)
        return {"client_id": created.client_id, "client_type": created.client_type,
                "grant_types": created.grant_types, "scopes": created.scopes, "client_secret": secret}
    emit(_run(work), as_json=as_json, title="app registered (the secret is shown only now)")


@apps_app.command("list")
def apps_list(limit: int = 100, as_json: bool = JsonOption) -> None:
    """List registered applications."""
    rows = _run(lambda p, i, s: [{"client_id": a.client_id, "name": a.name, "type": a.client_type,
                                  "grant_types": ",".join(a.grant_types), "active": a.active}
                                 for a in repo.list_apps(s, SYSTEM.scope, PageRequest(limit))[:limit]])
    emit(rows, as_json=as_json, title="apps")


def _app(i: Identity, s: Any, client_id: str) -> Any:
    return i.service.get_app(s, client_id, SYSTEM.scope)  # the CLI acts for the whole platform


def _app_row(a: Any) -> dict[str, Any]:
    return {"client_id": a.client_id, "name": a.name, "type": a.client_type,
            "redirect_uris": a.redirect_uris, "scopes": a.scopes, "active": a.active}


@apps_app.command("update")
def apps_update(client_id: str, name: str = typer.Option(None, help="Display name."),
                redirect_uri: list[str] = typer.Option(
                    None, help="Exact redirect URI (repeatable; replaces the list)."),
                logout_uri: list[str] = typer.Option(
                    None, help="Post-logout redirect URI (repeatable; replaces the list)."),
                scope: list[str] = typer.Option(None, help="Allowed scope (repeatable; replaces)."),
                as_json: bool = JsonOption) -> None:
    """Change an app's name, redirect URIs or scopes (options left out stay as they are)."""
    def work(p: Platform, i: Identity, s: Any) -> dict[str, Any]:
        return _app_row(i.apps.update(s, SYSTEM, _app(i, s, client_id), name=name,
                                      redirect_uris=redirect_uri or None,
                                      post_logout_redirect_uris=logout_uri or None,
                                      scopes=scope or None))
    emit(_run(work), as_json=as_json, title="app updated")


@apps_app.command("rotate-secret")
def apps_rotate_secret(client_id: str,
                       grace: int = typer.Option(86_400, help="Seconds the old secret keeps "
                                                              "working (0: refused at once)."),
                       as_json: bool = JsonOption) -> None:
    """Issue a new client secret (printed once); the old one works for the grace period."""
    from datetime import timedelta

    def work(p: Platform, i: Identity, s: Any) -> dict[str, Any]:
        secret, until = i.apps.rotate_secret(s, SYSTEM, _app(i, s, client_id),
                                             timedelta(seconds=grace))
        return {"client_id": client_id, "client_secret": secret,
                "previous_secret_valid_until": until.isoformat() if until else None}
    emit(_run(work), as_json=as_json, title="client secret rotated (the secret is shown only now)")


def _app_active(client_id: str, active: bool) -> dict[str, Any]:
    return _run(lambda p, i, s: _app_row(i.apps.set_active(s, SYSTEM, _app(i, s, client_id), active)))


@apps_app.command("disable")
def apps_disable(client_id: str, as_json: bool = JsonOption) -> None:
    """Disable an app: its tokens are refused at once in every API process."""
    emit(_app_active(client_id, False), as_json=as_json, title="app disabled")


@apps_app.command("enable")
def apps_enable(client_id: str, as_json: bool = JsonOption) -> None:
    """Enable an app again (tokens refused while it was disabled stay refused)."""
    emit(_app_active(client_id, True), as_json=as_json, title="app enabled")


@apps_app.command("delete")
def apps_delete(client_id: str,
                yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete an app with its roles and consents; its tokens stop working at once."""
    if not yes and not typer.confirm(f"delete {client_id} and its roles and consents?"):
        raise typer.Exit(1)
    _run(lambda p, i, s: i.apps.delete(s, SYSTEM, _app(i, s, client_id)))
    console.print(f"[green]{client_id} deleted[/green]")


@roles_app.command("create")
def roles_create(name: str,
                 app_id: str = typer.Option(None, "--app", help="Client id (none: platform-wide)."),
                 permission: list[str] = typer.Option([], help="Permission scope (repeatable)."),
                 as_json: bool = JsonOption) -> None:
    """Define a role."""
    row = _run(lambda p, i, s: {"id": (r := i.service.create_role(
        s, SYSTEM, app=app_id, name=name, permissions=permission)).id, "name": r.name,
        "permissions": r.permissions})
    emit(row, as_json=as_json, title="role created")


@roles_app.command("assign")
def roles_assign(username: str, role: str, app_id: str = typer.Option(None, "--app")) -> None:
    """Give a user a role."""
    _run(lambda p, i, s: i.service.assign_role(s, SYSTEM, i.service.get_user(s, username, SYSTEM.scope),
                                                app=app_id, role=role))
    console.print(f"[green]{username} now holds {role}[/green]")


@roles_app.command("unassign")
def roles_unassign(username: str, role: str, app_id: str = typer.Option(None, "--app")) -> None:
    """Take a role away from a user."""
    _run(lambda p, i, s: i.service.unassign_role(s, SYSTEM, i.service.get_user(s, username, SYSTEM.scope),
                                                  app=app_id, role=role))
    console.print(f"[green]{username} no longer holds {role}[/green]")


@roles_app.command("list")
def roles_list(app_id: str = typer.Option(None, "--app"), as_json: bool = JsonOption) -> None:
    """List roles of an app (plus platform-wide ones)."""
    def work(p: Platform, i: Identity, s: Any) -> list[dict[str, Any]]:
        aid = i.service.get_app(s, app_id, SYSTEM.scope).id if app_id else None
        return [{"name": r.name, "app_id": r.app_id, "permissions": " ".join(r.permissions)}
                for r in repo.list_roles(s, aid)]
    emit(_run(work), as_json=as_json, title="roles")


@keys_app.command("rotate")
def keys_rotate(immediately: bool = typer.Option(
        False, help="Sign with the new key at once (after a leak) instead of after the JWKS "
                    "cache lifetime."), as_json: bool = JsonOption) -> None:
    """Publish the next signing key; it signs after the JWKS cache lifetime, old keys verify
    until their tokens expire; running API processes hear of it through Redis."""
    def work(p: Platform, i: Identity, s: Any) -> dict[str, Any]:
        kid = i.keys.rotate(s, immediately=immediately)
        p.audit.record(s, actor=SYSTEM.subject, action="identity.keys.rotate",
                       subject_type="signing_key", subject_id=kid,
                       details={"immediately": immediately})
        after_commit(s, i.keys.changed)
        row = next(k for k in i.keys.describe(s) if k["kid"] == kid)
        return {"kid": kid, "state": row["state"], "activates_at": row["activates_at"]}
    emit(_run(work), as_json=as_json, title="signing key rotated")


@keys_app.command("list")
def keys_list(as_json: bool = JsonOption) -> None:
    """List signing keys and their state."""
    emit(_run(lambda p, i, s: i.keys.describe(s)), as_json=as_json, title="signing keys")


@maintenance_app.command("purge")
def maintenance_purge(as_json: bool = JsonOption) -> None:
    """Delete expired codes, refresh tokens, sessions, revocations, retired keys and stale lock-outs."""
    from bayfin.identity.core.domain import FAILURE_MEMORY

    def work(p: Platform, i: Identity, s: Any) -> dict[str, int]:
        now = i.clock.now()
        counts = repo.purge_expired(s, now, now - FAILURE_MEMORY)
        p.audit.record(s, actor=SYSTEM.subject, action="identity.maintenance.purge",
                       subject_type="identity", subject_id="expired", details=counts)
        return counts
    emit(_run(work), as_json=as_json, title="purged")
