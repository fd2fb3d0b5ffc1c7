"""``GET /v1/scores/{credit_code}``: a firm's credit score for an institution under its consent."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from bayfin.api.deps import AUTH_ERRORS, TENANT_OWNED, PlatformDep, Session, rate_limited, require
from bayfin.api.problems import Responses, problem_schema
from bayfin.consent import ConsentService, DataCategory
from bayfin.kernel.errors import ServiceUnavailable
from bayfin.kernel.security import Principal
from bayfin.scoring.model import FirmScore
from bayfin.scoring.wiring import scoring_service

# every record here belongs to an organization: no caller without one gets past this
router = APIRouter(tags=["credit scoring"], dependencies=TENANT_OWNED)

Institution = Annotated[Principal, Depends(require(scopes=("credit:read",), org_types=("institution",)))]

SCORE_ERRORS: Responses = {
    **AUTH_ERRORS,
    403: problem_schema("Not covered by a live consent including the score category"),
    404: problem_schema("No such consent for your institution, or no data on the enterprise"),
    429: problem_schema("Rate limit or the consent's frequency is spent"),
    503: problem_schema("No scoring model is registered yet"),
}


class Reason(BaseModel):
    """An adverse reason code and its plain-language text."""

    code: str
    text: str


class ChallengerOut(BaseModel):
    """The LightGBM challenger's PD and its top contributions."""

    pd: float
    reasons: list[Reason]


class ScoreOut(BaseModel):
    """A score with its band, calibrated PD and the reasons it is not higher."""

    credit_code: str
    as_of: date
    score: int
    band: str
    pd: float
    reasons: list[Reason]
    model_version: str
    challenger: ChallengerOut | None = None


@router.get(
    "/v1/scores/{credit_code}",
    response_model=ScoreOut,
    responses=SCORE_ERRORS,
    dependencies=[Depends(rate_limited("credit_scores"))],
)
def get_score(
    credit_code: str,
    principal: Institution,
    session: Session,
    platform: PlatformDep,
    consent_id: Annotated[str, Query(min_length=1, max_length=60)],
) -> FirmScore:
    """The enterprise's score under your consent (category ``score``), with band, PD and reasons."""
    code = credit_code.strip().upper()
    consents = ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)
    consents.get_for(principal, consent_id)  # another institution's consent: 404 before anything else
    service = scoring_service(platform)
    try:
        service.model()
    except Exception as exc:  # no registered model: say so rather than spend the consent's use
        raise ServiceUnavailable("no scoring model is registered; run `bayfin scoring train`") from exc
    consents.authorize_use(
        principal,
        consent_id,
        code,
        categories=frozenset({DataCategory.score}),
        action="scoring.read",
        details={"endpoint": "score"},
    )
    return service.score(session, code, platform.clock.now().date())
