"""The card-transaction simulator described in Le Borgne et al., *Reproducible Machine Learning for
Credit Card Fraud Detection – Practical Handbook* (chapter 3, "Transaction data simulator"), written
from that description so results compare with the book's published baselines.

As described there: customers and terminals sit at uniform random points of a 100×100 grid; a
customer uses only terminals within radius 5 of home; each customer has a mean amount drawn from
U(5, 100) with standard deviation half of it, and a mean number of transactions per day drawn from
U(0, 4); daily counts are Poisson; a transaction's second of the day is normal around noon with a
standard deviation of 20,000 s (draws outside the day are dropped); a negative amount is redrawn
uniformly from (0, 2 × mean). Three fraud scenarios label the transactions:

1. every amount above 220 is fraud;
2. each day two terminals are compromised: every transaction on them in the next 28 days is fraud;
3. each day three customers' credentials leak: over the next 14 days a third of their transactions
   have their amount multiplied by 5 and are fraud.

5,000 customers, 10,000 terminals and 183 days from 2018-04-01 give about 1.75 million
transactions, of which about 0.8 % are fraud. Amounts are written in currency units with two
decimals (as in the book) and also in integer fen for the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

GRID = 100.0
RADIUS = 5.0
FRAUD_AMOUNT = 220.0
SECONDS_PER_DAY = 86_400


def customer_profiles(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Home location, amount mean/std and mean daily count of each customer."""
    x, y = rng.uniform(0, GRID, n), rng.uniform(0, GRID, n)
    mean_amount = rng.uniform(5, 100, n)
    return {"customer_id": np.arange(n), "x": x, "y": y, "mean_amount": mean_amount,
            "std_amount": mean_amount / 2, "mean_nb_tx_per_day": rng.uniform(0, 4, n)}


def terminal_profiles(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Location of each terminal."""
    return {"terminal_id": np.arange(n), "x": rng.uniform(0, GRID, n), "y": rng.uniform(0, GRID, n)}


def available_terminals(customers: dict[str, np.ndarray], terminals: dict[str, np.ndarray],
                        radius: float = RADIUS) -> tuple[np.ndarray, np.ndarray]:
    """For each customer, the terminals within ``radius``: (offsets, flat terminal ids), CSR-style."""
    points = np.column_stack([terminals["x"], terminals["y"]])
    lists, offsets = [], [0]
    for start in range(0, len(customers["x"]), 500):  # chunks keep the distance matrix small
        homes = np.column_stack([customers["x"][start:start + 500], customers["y"][start:start + 500]])
        d2 = ((homes[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
        for row in d2 < radius * radius:
            ids = np.flatnonzero(row)
            lists.append(ids)
            offsets.append(offsets[-1] + len(ids))
    flat = np.concatenate(lists) if lists else np.empty(0, dtype=np.int64)
    return np.asarray(offsets), flat


def transactions(customers: dict[str, np.ndarray], offsets: np.ndarray, flat: np.ndarray, days: int,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Legitimate transactions of every customer and day (before the fraud scenarios)."""
    n = len(customers["x"])
    counts = rng.poisson(np.repeat(customers["mean_nb_tx_per_day"][:, None], days, axis=1))
    cust = np.repeat(np.repeat(np.arange(n), days), counts.ravel())
    day = np.repeat(np.tile(np.arange(days), n), counts.ravel())
    seconds = np.rint(rng.normal(SECONDS_PER_DAY / 2, 20_000, len(cust)))
    keep = (seconds >= 0) & (seconds < SECONDS_PER_DAY)
    lengths = np.diff(offsets)
    keep &= lengths[cust] > 0  # a customer with no terminal in reach makes no transaction
    cust, day, seconds = cust[keep], day[keep], seconds[keep].astype(np.int64)
    mean, std = customers["mean_amount"][cust], customers["std_amount"][cust]
    amount = rng.normal(mean, std)
    negative = amount < 0
    amount[negative] = rng.uniform(0, 2 * mean[negative])
    amount = np.round(amount, 2)
    pick = offsets[cust] + np.floor(rng.uniform(0, 1, len(cust)) * lengths[cust]).astype(np.int64)
    terminal = flat[pick]
    order = np.lexsort((seconds, day))
    return {"customer_id": cust[order], "terminal_id": terminal[order], "day": day[order],
            "seconds": seconds[order], "amount": amount[order]}


def add_frauds(tx: dict[str, np.ndarray], n_customers: int, n_terminals: int, days: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Apply the three scenarios; returns (fraud flag, scenario number 0–3) and updates amounts."""
    amount, day = tx["amount"], tx["day"]
    fraud = np.zeros(len(amount), dtype=bool)
    scenario = np.zeros(len(amount), dtype=np.int8)
    big = amount > FRAUD_AMOUNT
    fraud[big], scenario[big] = True, 1
    for d in range(days):
        compromised = rng.choice(n_terminals, size=2, replace=False)
        hit = np.isin(tx["terminal_id"], compromised) & (day >= d) & (day < d + 28)
        fraud[hit], scenario[hit] = True, 2
    for d in range(days):
        leaked = rng.choice(n_customers, size=3, replace=False)
        window = np.flatnonzero(np.isin(tx["customer_id"], leaked) & (day >= d) & (day < d + 14))
        if len(window) == 0:
            continue
        chosen = rng.choice(window, size=len(window) // 3, replace=False)
        amount[chosen] = np.round(amount[chosen] * 5, 2)
        fraud[chosen], scenario[chosen] = True, 3
    return fraud, scenario


def simulate_handbook(out: Path, *, customers: int = 5_000, terminals: int = 10_000, days: int = 183,
                      seed: int = 0, start: datetime | None = None,
                      on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write ``customers.parquet``, ``terminals.parquet`` and ``transactions.parquet`` under ``out``."""
    import polars as pl

    start = start or datetime(2018, 4, 1, tzinfo=UTC)
    rng = np.random.default_rng(seed)
    step = on_step or (lambda _name: None)
    cust = customer_profiles(customers, rng)
    term = terminal_profiles(terminals, rng)
    step("profiles")
    offsets, flat = available_terminals(cust, term)
    step("terminals in reach")
    tx = transactions(cust, offsets, flat, days, rng)
    step("transactions")
    fraud, scenario = add_frauds(tx, customers, terminals, days, rng)
    step("fraud scenarios")
    out.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({**{k: v for k, v in cust.items()}, "nb_terminals": np.diff(offsets)}).write_parquet(
        out / "customers.parquet")
    pl.DataFrame(term).write_parquet(out / "terminals.parquet")
    base = int(start.timestamp() * 1_000_000)
    micros = base + (tx["day"] * SECONDS_PER_DAY + tx["seconds"]) * 1_000_000
    frame = pl.DataFrame({
        "TRANSACTION_ID": np.arange(len(fraud)),
        "TX_DATETIME": pl.Series(micros).cast(pl.Datetime("us", "UTC")),
        "CUSTOMER_ID": tx["customer_id"], "TERMINAL_ID": tx["terminal_id"], "TX_AMOUNT": tx["amount"],
        "TX_AMOUNT_FEN": np.rint(tx["amount"] * 100).astype(np.int64),
        "TX_TIME_SECONDS": tx["day"] * SECONDS_PER_DAY + tx["seconds"], "TX_TIME_DAYS": tx["day"],
        "TX_FRAUD": fraud.astype(np.int8), "TX_FRAUD_SCENARIO": scenario})
    frame.write_parquet(out / "transactions.parquet")
    step("written")
    return {"profile": "handbook", "customers": customers, "terminals": terminals, "days": days, "seed": seed,
            "transactions": len(fraud), "fraud": int(fraud.sum()),
            "fraud_share": round(float(fraud.mean()), 5) if len(fraud) else 0.0,
            "by_scenario": {str(k): int((scenario == k).sum()) for k in (1, 2, 3)}}
