"""``bayfin financing …``: the operator's view of the marketplace — products, demands, matches,
applications, statistics and the service-window sweep. Tables by default, ``--json`` for machines.

The CLI acts as the platform operator (``cli:operator``, audited like any caller); ``--institution``
shows one bank's products or queue as that bank sees it.
"""

from __future__ import annotations

from typing import Any

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, console, emit, refusals
from bayfin.financing.repository import FinancingRepository
from bayfin.financing.service import service_for
from bayfin.financing.views import alert_out, application_out, demand_out, product_out
from bayfin.kernel.errors import NotFound
from bayfin.kernel.security import Principal

app = typer.Typer(help="The financing marketplace (粤信融): products, demands, matching, applications.",
                  no_args_is_help=True)

OPERATOR = Principal(subject="cli:operator", organization_id="OPERATOR", organization_type="operator")
InstitutionOption = typer.Option(None, "--institution", help="Act as this institution (its code).")


def _institution(code: str) -> Principal:
    return Principal(subject="cli:operator", organization_id=code, organization_type="institution")



@app.command("products")
def products(institution: str | None = InstitutionOption, limit: int = typer.Option(100),
             as_json: bool = JsonOption) -> None:
    """Loan products on offer (or every product of one institution)."""
    principal = _institution(institution) if institution else OPERATOR
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [product_out(p).model_dump(mode="json")
                for p in service_for(uow.session, platform).list_products(principal, limit=limit)]
        uow.commit()
    emit(rows, as_json=as_json, title="loan products", columns=None if as_json else [
        "id", "institution_id", "name", "product_type", "min_amount_fen", "max_amount_fen",
        "min_rate", "max_rate", "min_score", "active"])


@app.command("demands")
def demands(status: str | None = typer.Option(None, help="open or closed"),
            limit: int = typer.Option(100), as_json: bool = JsonOption) -> None:
    """Financing demands, newest first (each enterprise listed is audited)."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [demand_out(r).model_dump(mode="json") for r in
                service_for(uow.session, platform).list_demands(OPERATOR, status=status, limit=limit)]
        uow.commit()
    emit(rows, as_json=as_json, title="financing demands", columns=None if as_json else [
        "id", "credit_code", "amount_fen", "term_months", "urgency", "status", "city_code",
        "industry_code", "score"])


@app.command("match")
def match(demand_id: str = typer.Argument(..., help="The demand to match."),
          top: int = typer.Option(10, min=1, max=100), as_json: bool = JsonOption) -> None:
    """Eligible products for a demand ranked by fit, then near misses with the failed criterion."""
    with refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        found = FinancingRepository(uow.session).demand(demand_id)
        if found is None:
            raise NotFound("no such demand")
        owner = Principal(subject="cli:operator", organization_id=found.credit_code,
                          organization_type="enterprise")
        demand, eligible, near, products_by_id = service_for(uow.session, platform).matches(
            owner, demand_id, top_k=top)
        uow.commit()
    rows: list[dict[str, Any]] = [
        {"product_id": m.product_id, "name": products_by_id[m.product_id][0],
         "institution_id": m.institution_id, "eligible": m.eligible, "fit": m.fit,
         "failed": ", ".join(m.failed)} for m in [*eligible, *near]]
    if as_json:
        emit({"demand_id": demand.id, "score": demand.score, "matches": rows}, as_json=True)
        return
    console.print(f"demand {demand.id}: score {demand.score if demand.score is not None else 'n/a'}")
    emit(rows, as_json=False, title="matches")


@app.command("applications")
def applications(institution: str | None = InstitutionOption,
                 state: list[str] = typer.Option([], help="Only these states (repeatable)."),
                 limit: int = typer.Option(100), as_json: bool = JsonOption) -> None:
    """Applications with their service-window status (one institution's queue with --institution)."""
    principal = _institution(institution) if institution else OPERATOR
    with refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        service = service_for(uow.session, platform)
        rows = [application_out(service, a).model_dump(mode="json")
                for a in service.list_applications(principal, states=state, limit=limit)]
        uow.commit()
    emit(rows, as_json=as_json, title="applications", columns=None if as_json else [
        "id", "institution_id", "credit_code", "state", "requested_amount_fen", "submitted_at",
        "service_due_at", "window_status"])


@app.command("stats")
def stats(as_json: bool = JsonOption) -> None:
    """The platform's figures: demands, financings and amounts by city, industry, bank and product."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        figures = service_for(uow.session, platform).statistics(OPERATOR)
        uow.commit()
    if as_json:
        emit(figures, as_json=True)
        return
    breakdowns = {k: v for k, v in figures.items() if k.startswith("by_")}
    emit({k: v for k, v in figures.items() if k not in breakdowns}, as_json=False, title="marketplace")
    for name, rows in breakdowns.items():
        emit(rows, as_json=False, title=f"financings {name.replace('_', ' ')}")


@app.command("sweep")
def sweep(as_json: bool = JsonOption) -> None:
    """Flag applications whose bank missed the service window (once each) and alert the operator."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        alerts = [alert_out(a).model_dump(mode="json")
                  for a in service_for(uow.session, platform).sweep(actor=OPERATOR.subject)]
        uow.commit()
    emit(alerts, as_json=as_json, title="new service-window alerts", columns=None if as_json else [
        "application_id", "institution_id", "due_at", "message"])
