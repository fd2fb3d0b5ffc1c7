"""Demo data for the financing marketplace: products of the demo's banks, demands of demo-region
enterprises, and applications driven through the real service into every state — some left
unanswered past the service window, so the operator's alerts and the console dashboard open with data.

The banks are the identity demo's institutions (``BANK-GD`` and its Guangzhou branch) and four of the
cooperating banks the social-security-card demo seeds (by their codes); the enterprises are the
generated region's (``bayfin.demo.build_population``), so their firm facts come from the hub.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from bayfin.demo import build_population, rng_for
from bayfin.financing.repository import FinancingRepository
from bayfin.financing.schemas import DemandIn, ProductIn, TransitionIn
from bayfin.financing.service import FinancingService, service_for
from bayfin.kernel.clock import FixedClock
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal

BANKS = ("BANK-GD", "BANK-GD-GZ", "ICBC", "ABC", "BOC", "CCB")

#: name, type, amount range in 万元, term range, rate range, extra eligibility
PRODUCTS: tuple[tuple[str, str, tuple[int, int], tuple[int, int], tuple[str, str], dict[str, Any]], ...] = (
    ("粤信融 tax-credit loan (税易贷)", "credit", (10, 300), (3, 24), ("0.0345", "0.0550"),
     {"min_tax_grade": "B", "min_firm_age_months": 24}),
    ("Start-up guarantee loan (创业担保贷)", "policy-backed", (5, 50), (12, 36), ("0.0200", "0.0300"),
     {"min_firm_age_months": 0}),
    ("Guangzhou tech-firm credit (科技贷)", "credit", (50, 1000), (6, 36), ("0.0380", "0.0600"),
     {"cities": ["440100"], "industries": ["C39", "I65", "M75"]}),
    ("Plant and property mortgage (抵押贷)", "mortgage", (100, 5000), (12, 120), ("0.0390", "0.0520"),
     {"collateral_required": True}),
    ("Guarantee-company backed loan (担保贷)", "guarantee", (20, 500), (6, 36), ("0.0450", "0.0750"),
     {"min_firm_age_months": 12}),
    ("Receivables finance (应收账款融资)", "supply-chain", (10, 800), (3, 12), ("0.0420", "0.0680"),
     {"industries": ["C"]}),
    ("Pearl River Delta working capital (流动资金贷)", "credit", (20, 600), (6, 24), ("0.0400", "0.0650"),
     {"cities": ["440100", "440600", "441900", "440300"]}),
    ("Micro-firm quick loan (小微快贷)", "credit", (1, 100), (3, 12), ("0.0500", "0.0900"), {}),
)

#: Where each seeded application ends up, and the moves that get it there (bank's moves).
PATHS: tuple[tuple[str, ...], ...] = (
    (), ("accepted",), ("accepted", "under_review"), ("accepted", "under_review", "offered"),
    ("accepted", "under_review", "offered", "approved"), ("accepted", "rejected"),
    ("accepted", "under_review", "offered", "approved", "disbursed"),
    ("accepted", "under_review", "offered", "approved", "disbursed", "repaid"),
    ("accepted", "under_review", "offered", "approved", "disbursed", "overdue"),
    ("accepted", "under_review", "offered", "approved", "disbursed", "overdue", "written_off"),
    ("accepted", "under_review", "offered", "approved", "disbursed", "overdue", "repaid"),
    ("withdrawn",),
)
DEMANDS = 36


def _bank(code: str) -> Principal:
    return Principal(subject=f"demo-officer@{code}", organization_id=code, organization_type="institution")


def _firm(code: str) -> Principal:
    return Principal(subject=f"demo-cfo@{code}", organization_id=code, organization_type="enterprise")


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Seed the marketplace once: products, demands, and applications in every state over the last
    three weeks, then sweep so that banks that missed the service window are flagged."""
    manifest = orjson.loads((workdir / "manifest.json").read_bytes())
    population = build_population(int(manifest["enterprises"]), seed)
    rng = rng_for(seed, "financing")
    now = platform.clock.now()
    clock = FixedClock(now - timedelta(days=21))
    with platform.unit_of_work() as uow:
        if FinancingRepository(uow.session).products(limit=1):
            return {"seeded": False}
        base = service_for(uow.session, platform)
        service = FinancingService(uow.session, platform.audit, clock, platform.tokens.keys,
                                   base.scoring, base.runtime)
        products = []
        for i, (name, kind, (low, high), (t_low, t_high), (r_low, r_high), extra) in enumerate(PRODUCTS):
            bank = BANKS[i % len(BANKS)]
            products.append(service.create_product(_bank(bank), ProductIn(
                name=name, product_type=kind, min_amount_fen=low * 1_000_000,
                max_amount_fen=high * 1_000_000, min_term_months=t_low, max_term_months=t_high,
                min_rate=Decimal(r_low), max_rate=Decimal(r_high), **extra)))
        picks = rng.choice(len(population), size=min(DEMANDS, len(population)), replace=False)
        applications = 0
        for n, index in enumerate(picks.tolist()):
            code = population.credit_code[index]
            clock.set(now - timedelta(days=21) + timedelta(hours=int(n * 8)))
            amount_wan = int(rng.choice([8, 30, 60, 120, 300, 800]))
            demand = service.publish_demand(_firm(code), DemandIn(
                amount_fen=amount_wan * 1_000_000, term_months=int(rng.choice([6, 12, 24, 36])),
                purpose=str(rng.choice(["working capital", "equipment", "orders in hand", "expansion"])),
                collateral_offered=bool(rng.random() < 0.3),
                urgency=str(rng.choice(["low", "normal", "high"]))))
            _, eligible, near, _ = service.matches(_firm(code), demand.id, top_k=3)
            chosen = [m.product_id for m in eligible[:1]] or [m.product_id for m in near[:1]]
            if not chosen or n % 9 == 8:
                continue  # some demands stay open with no application: the banks' leads
            path = PATHS[n % len(PATHS)]
            if not path and n >= 2 * len(PATHS):
                clock.set(now - timedelta(hours=30))  # recently submitted: still inside the window
            application = service.apply(_firm(code), demand.id, chosen[0])
            applications += 1
            offer = {"amount_fen": demand.amount_fen, "rate": Decimal("0.0450"),
                     "term_months": demand.term_months}
            for step in path:
                clock.advance(hours=int(rng.integers(4, 16)))
                party = _firm(code) if step == "withdrawn" else _bank(application.institution_id)
                terms = offer if step in ("offered", "approved") else {}
                reason = "cash flow does not cover the repayments" if step == "rejected" else None
                service.transition(party, application.id, TransitionIn(to=step, reason=reason, **terms))
            if "disbursed" in path:
                service.close_demand(_firm(code), demand.id)  # financed: off the banks' lead lists
        clock.set(now)
        alerts = service.sweep(actor="demo")
        uow.commit()
    return {"seeded": True, "products": len(products), "demands": len(picks),
            "applications": applications, "alerts": len(alerts)}
