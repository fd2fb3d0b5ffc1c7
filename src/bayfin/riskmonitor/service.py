"""Use cases of risk monitoring: ingest evidence, link it, tag it, score firms and raise alerts.

Services only flush; the CLI command or request owns the transaction. Ingesting a delivery re-scores
the firms its evidence touches at once (event-driven), so a watched firm's index, alerts and leads move
the moment new evidence arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.errors import NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.ingest import file_sha256, loaded_batch
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor.classifier import RiskTextClassifier, default_classifier
from bayfin.riskmonitor.domain import (
    CITY_NAMES,
    LEVEL_RANK,
    LINK_THRESHOLD,
    EntityIndex,
    LinkResult,
    level_of,
    phones_in,
    promised_rate_bp,
    rule_hits,
)
from bayfin.riskmonitor.features import build_features, related_pairs
from bayfin.riskmonitor.index import WEIGHTS, explain, score_frame
from bayfin.riskmonitor.models import (
    RiskAlert,
    RiskBatch,
    RiskEvidence,
    RiskLead,
    RiskLicence,
    RiskQuarantine,
    RiskScore,
    RiskTag,
)
from bayfin.riskmonitor.readers import SOURCES, read_source

#: A level crossing upwards into one of these opens a lead (线索) automatically.
LEAD_LEVELS = ("high", "critical")
ACTIVE_LEAD_STATUSES = ("open", "dispatched", "investigating")


@dataclass
class IngestReport:
    """One ingest: rows in = stored + duplicate + quarantined; firms re-scored, alerts raised."""

    batch_id: str
    source: str
    file: str
    rows_in: int
    stored: int
    duplicate: int
    quarantined: int
    linked: int = 0
    for_review: int = 0
    already_ingested: bool = False
    rescored: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON and tables."""
        return dict(self.__dict__)


class RiskMonitor:
    """Risk monitoring use cases over one platform's database, with a text classifier and a clock."""

    def __init__(self, clock: Clock | None = None, classifier: RiskTextClassifier | None = None) -> None:
        self.clock = clock or SystemClock()
        self._classifier = classifier
        # Related firms (shared legal representative or address) as of the last full run; the event path
        # reads them here instead of scanning every registration for each new piece of evidence.
        self._related: dict[str, list[str]] | None = None

    @property
    def classifier(self) -> RiskTextClassifier:
        """The text classifier (trained on first use)."""
        if self._classifier is None:
            self._classifier = default_classifier()
        return self._classifier

    def remember_relations(self, firms: pl.DataFrame) -> None:
        """Keep each firm's related firms (from a full firms frame) for the event-driven re-scoring."""
        pairs = related_pairs(firms).group_by("credit_code").agg(pl.col("related_code"))
        self._related = dict(pairs.iter_rows())

    def use_classifier(self, classifier: RiskTextClassifier) -> None:
        """Swap in a retrained classifier."""
        self._classifier = classifier

    # ------------------------------------------------------------------------------------------ ingest

    def entity_index(self, session: Session) -> EntityIndex:
        """Names of registered firms and phones from their filed sites, for linking."""
        index = EntityIndex(city_names=CITY_NAMES)
        for code, name, city in repo.registrations(session):
            if name:
                index.add(code, name, city)
        for code, text in repo.filed_site_texts(session):
            for phone in phones_in(text):
                index.add_phone(phone, code)
        return index

    def ingest(self, session: Session, path: Path, source: str, as_of: date) -> IngestReport:
        """Ingest one delivery as one batch; a file seen before changes nothing."""
        if source not in SOURCES:
            raise ValidationFailed(f"unknown risk source {source!r}; known: {', '.join(SOURCES)}")
        if not path.is_file():
            raise NotFound(f"no file {path}")
        sha = file_sha256(path)
        seen = loaded_batch(session, RiskBatch, source, sha)
        if seen is not None:
            return IngestReport(
                seen.id, source, seen.file_name, seen.rows_in, 0,
                seen.rows_in - seen.quarantined, seen.quarantined,
                already_ingested=True,
            )  # fmt: skip
        parsed = read_source(path, source)
        batch = RiskBatch(
            id=new_id(), source=source, file_name=path.name, file_sha256=sha, as_of=as_of,
            ingested_at=self.clock.now(), rows_in=parsed.rows_in, stored=0, duplicate=0,
            quarantined=len(parsed.quarantined),
        )  # fmt: skip
        repo.add(session, batch)
        for number, reason, raw in parsed.quarantined:
            repo.add(
                session,
                RiskQuarantine(batch_id=batch.id, source=source, row_number=number, reason=reason, raw=raw)
            )
        report = IngestReport(batch.id, source, path.name, parsed.rows_in, 0, 0, len(parsed.quarantined))
        touched: set[str] = set()
        if source == "risk_licences":
            self._store_licences(session, batch, parsed.rows, report, touched)
        else:
            self._store_evidence(session, batch, parsed.rows, report, touched)
        batch.stored, batch.duplicate = report.stored, report.duplicate
        repo.flush(session)
        if touched:
            report.rescored, report.alerts = self.rescore(session, touched, trigger=f"batch:{batch.id}")
        return report

    def _store_licences(
        self,
        session: Session,
        batch: RiskBatch,
        rows: list[tuple[int, dict[str, Any]]],
        report: IngestReport,
        touched: set[str],
    ) -> None:
        known = repo.licence_numbers(session)
        for _number, row in rows:
            if row["licence_no"] in known:
                report.duplicate += 1
                continue
            known.add(row["licence_no"])
            repo.add(session, RiskLicence(batch_id=batch.id, **row))
            report.stored += 1
            touched.add(row["credit_code"])

    def _store_evidence(
        self,
        session: Session,
        batch: RiskBatch,
        rows: list[tuple[int, dict[str, Any]]],
        report: IngestReport,
        touched: set[str],
    ) -> None:
        hashes = [
            hashlib.sha256(
                f"{batch.source}|{r['reference']}|{r['occurred_on']}|{r['text']}".encode()
            ).hexdigest()
            for _, r in rows
        ]
        known = repo.known_hashes(session, hashes)
        index = self.entity_index(session)
        fresh: list[RiskEvidence] = []
        for (number, row), digest in zip(rows, hashes, strict=True):
            if digest in known:
                report.duplicate += 1
                continue
            known.add(digest)
            filed = row.pop("filed_code", None)
            link = (
                LinkResult(filed, 1.0, "icp_filing", ((filed, 1.0),))
                if filed
                else index.link(row.get("mention"), row["text"], row.get("region_code"))
            )
            evidence = RiskEvidence(
                batch_id=batch.id, source=batch.source, row_number=number, content_hash=digest,
                credit_code=link.credit_code, link_method=link.method, link_confidence=link.confidence,
                link_candidates=[list(c) for c in link.candidates],
                review_status="linked" if link.credit_code else "open", **row,
            )  # fmt: skip
            repo.add(session, evidence)
            fresh.append(evidence)
            report.stored += 1
            if link.credit_code:
                report.linked += 1
                touched.add(link.credit_code)
            else:
                report.for_review += 1
        repo.flush(session)
        self.tag_evidence(session, [e for e in fresh if e.credit_code])

    def tag_evidence(self, session: Session, evidence: list[RiskEvidence]) -> int:
        """Rule and classifier tags for linked evidence, each keeping source, date and snippet."""
        if not evidence:
            return 0
        probabilities = self.classifier.predict([e.text for e in evidence])
        added = 0
        for ev, probs in zip(evidence, probabilities, strict=True):
            assert ev.credit_code is not None
            tags: dict[str, tuple[str, float, str]] = {
                name: ("rule", 1.0, snip) for name, snip in rule_hits(ev.text).items()
            }
            for category, p in probs.items():
                key = f"category:{category}"
                if p >= 0.5 and key not in tags:
                    tags[key] = ("classifier", p, ev.text[:80])
                elif key in tags:
                    tags[key] = ("rule", max(1.0, p), tags[key][2])
            if ev.source == "risk_police":
                tags["police_case"] = ("rule", 1.0, ev.text[:80])
            for tag, (method, confidence, snip) in tags.items():
                repo.add(
                    session,
                    RiskTag(
                        credit_code=ev.credit_code,
                        tag=tag,
                        method=method,
                        confidence=round(confidence, 3),
                        evidence_id=ev.id,
                        source=ev.source,
                        occurred_on=ev.occurred_on,
                        snippet=snip,
                    )
                )
                added += 1
        repo.flush(session)
        return added

    def resolve_mention(self, session: Session, evidence_id: int, credit_code: str) -> RiskEvidence:
        """An analyst links a mention from the review queue to a firm; it is then tagged and re-scored."""
        evidence = repo.evidence_by_id(session, evidence_id)
        if evidence is None:
            raise NotFound(f"no evidence {evidence_id}")
        if evidence.review_status != "open":
            raise ValidationFailed(f"evidence {evidence_id} is not awaiting review")
        evidence.credit_code = credit_code.strip().upper()
        evidence.link_method, evidence.link_confidence, evidence.review_status = "analyst", 1.0, "resolved"
        repo.flush(session)
        self.tag_evidence(session, [evidence])
        self.rescore(session, {evidence.credit_code}, trigger=f"review:{evidence_id}")
        return evidence

    # ------------------------------------------------------------------------------------------- score

    def score_table(
        self, session: Session, codes: Iterable[str] | None = None, as_of: date | None = None
    ) -> pl.DataFrame:
        """Features, dimensions, index and level of the given firms (all registered ones by default)."""
        day = as_of or self.clock.now().date()
        if codes is None:
            firms = repo.firms_frame(session)
            self.remember_relations(firms)
            frames = (repo.evidence_frame(session), repo.tags_frame(session), repo.licences_frame(session))
            return score_frame(build_features(firms, *frames, day))
        wanted = sorted(set(codes))
        own = repo.firms_frame(session, wanted)
        # Evidence may name a firm the hub does not hold; it is still scored.
        missing = sorted(set(wanted) - set(own["credit_code"].to_list()))
        if missing:
            own = pl.concat([own, pl.DataFrame({"credit_code": missing})], how="diagonal_relaxed")
        if self._related is None:
            related = repo.related_firms_frame(session, own)
        else:
            linked = sorted({r for c in wanted for r in self._related.get(c, ())} - set(wanted))
            related = repo.firms_frame(session, linked) if linked else own.clear()
        firms = pl.concat([own, related.filter(~pl.col("credit_code").is_in(wanted))], how="diagonal_relaxed")
        everyone = firms["credit_code"].to_list()
        features = build_features(
            firms,
            repo.evidence_frame(session, everyone),
            repo.tags_frame(session, everyone),
            repo.licences_frame(session, wanted),
            day,
        ).filter(pl.col("credit_code").is_in(wanted))
        return score_frame(features)

    def rescore(
        self, session: Session, codes: Iterable[str], trigger: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """Score these firms now, keep the history, raise alerts on level crossings, open leads."""
        table = self.score_table(session, codes)
        return self._record(session, table, trigger)

    def score_all(self, session: Session, trigger: str = "full_run") -> dict[str, Any]:
        """Score every firm; a score is stored when it changed (history stays compact)."""
        table = self.score_table(session)
        stored, alerts = self._record(session, table, trigger)
        levels = table.group_by("level").len().sort("level")
        return {
            "scored": table.height,
            "stored": stored,
            "alerts": len(alerts),
            "levels": dict(levels.iter_rows()),
        }

    def _record(
        self, session: Session, table: pl.DataFrame, trigger: str
    ) -> tuple[int, list[dict[str, Any]]]:
        previous = (
            repo.latest_scores(session, table["credit_code"].to_list())
            if table.height < 5000
            else repo.latest_scores(session)
        )
        tags = repo.tags_frame(session, table["credit_code"].to_list() if table.height < 5000 else None)
        cats = (
            tags.filter(pl.col("tag").str.starts_with("category:") & (pl.col("confidence") >= 0.5))
            .group_by("credit_code")
            .agg(pl.col("tag").str.strip_prefix("category:").unique().sort())
        )
        categories = dict(cats.iter_rows())
        have = {c: set(t) for c, t in tags.group_by("credit_code").agg(pl.col("tag")).iter_rows()}
        now = self.clock.now()
        stored, raised = 0, []
        for row in table.iter_rows(named=True):
            code = row["credit_code"]
            before = previous.get(code)
            if before is None and row["score"] == 0:
                continue
            if before is not None and before.score == row["score"]:
                continue
            dims = {k: row[f"dim_{k}"] for k in WEIGHTS}
            score = RiskScore(
                credit_code=code, scored_at=now, score=row["score"], level=row["level"],
                categories=categories.get(code, []), dimensions=dims,
                explanation=explain(before.dimensions if before else None, dims),
                estimates={
                    "people": row["people"], "regions": row["regions"], "amount_fen": row["amount_fen"],
                    "promised_rate_bp": row["max_rate_bp"] or None,
                },
                trigger=trigger[:60],
            )  # fmt: skip
            repo.add(session, score)
            stored += 1
            self._aggregate_tags(session, row, have.get(code, set()), now.date())
            old_level = before.level if before else "normal"
            if old_level != row["level"]:
                raised.append(
                    self._alert(
                        session, code, old_level, row["level"], row["score"], categories.get(code, [])
                    )
                )
        repo.flush(session)
        return stored, raised

    def _aggregate_tags(self, session: Session, row: dict[str, Any], have: set[str], today: date) -> None:
        """Tags concluded from a firm's features (not one text), once each, with the figures as evidence."""
        found = {
            "unlicensed_finance": (row["unlicensed_categories"] > 0, f"{row['unlicensed_categories']}类无牌金融业务"),  # noqa: E501
            "complaint_surge": (row["recent_complaints"] >= 3, f"近90天投诉{row['recent_complaints']}件"),
            "capital_mismatch": (
                row["capital_mismatch"] > 0, f"注册资本{row['capital_fen'] or 0}分，参保{row['headcount'] or 0}人"  # noqa: E501
            ),
            "frequent_changes": (row["frequent_changes"] > 0, f"法定代表人/住所变更{row['changes'] or 0}次"),
            "related_risky_firms": (row["related_risky"] > 0, f"{row['related_risky']}家关联企业涉险"),
        }  # fmt: skip
        for tag, (present, snippet) in found.items():
            if present and tag not in have:
                repo.add(
                    session,
                    RiskTag(
                        credit_code=row["credit_code"],
                        tag=tag,
                        method="aggregate",
                        confidence=1.0,
                        evidence_id=None,
                        source="index",
                        occurred_on=today,
                        snippet=snippet,
                    )
                )

    def _alert(
        self, session: Session, code: str, old: str, new: str, score: float, categories: list[str]
    ) -> dict[str, Any]:
        alert = RiskAlert(
            credit_code=code, raised_at=self.clock.now(), from_level=old, to_level=new, score=score
        )
        repo.add(session, alert)
        repo.flush(session)
        active = [lead for lead in repo.leads(session, code=code) if lead.status in ACTIVE_LEAD_STATUSES]
        if new in LEAD_LEVELS and LEVEL_RANK[new] > LEVEL_RANK[old] and not active:
            lead = RiskLead(
                id=new_id(), credit_code=code, alert_id=alert.id, opened_at=self.clock.now(), status="open",
                score=score, categories=categories,
                history=[{"at": self.clock.now().isoformat(), "status": "open"}],
            )  # fmt: skip
            repo.add(session, lead)
            alert.lead_id = lead.id
        return {"credit_code": code, "from": old, "to": new, "score": score, "lead_id": alert.lead_id}


def level_for(score: float) -> str:
    """The level an index value falls in (re-exported for the API and CLI)."""
    return level_of(score)


__all__ = ["LINK_THRESHOLD", "IngestReport", "RiskMonitor", "level_for", "promised_rate_bp"]
