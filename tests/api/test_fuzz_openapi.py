"""A property-based fuzz run over the whole OpenAPI document (schemathesis) against the ASGI app on
PostgreSQL, with real bearer tokens: no answer may be a 5xx, and every answer must match what the
document says (status, media type, body schema).

Each operation is called as a principal that passes its scope/role/organization-type checks (read
from the route's own dependencies, so new routes are covered without a list to keep), with a
bounded, derandomized number of positive and negative cases. Set BAYFIN_FUZZ_EXAMPLES to fuzz
harder locally.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, _iter_routes_with_context
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from bayfin.api.app import create_app
from bayfin.scoring import SCORING
from bayfin.scoring import model as scoring_models
from tests.unit.scoring.test_scorecard import synthetic

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("BAYFIN_FUZZ_EXAMPLES", "5"))
# The voice assistant trains its intent classifier at first use: a small corpus keeps that short.
os.environ.setdefault("BAYFIN_VOICE_CORPUS_PER_INTENT", "16")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _requirements(route: APIRoute) -> dict[str, set[str]]:
    """The scopes, roles and organization types the route's ``require(...)`` dependencies ask for."""
    found: dict[str, set[str]] = {"scopes": set(), "roles": set(), "org_types": set()}

    def walk(dependant: Any) -> Iterator[Any]:
        for sub in dependant.dependencies:
            yield sub.call
            yield from walk(sub)

    for call in walk(route.dependant):
        code = getattr(call, "__code__", None)
        if code is None or not call.__closure__:
            continue
        for name, cell in zip(code.co_freevars, call.__closure__, strict=True):
            value = cell.cell_contents
            if name in found and isinstance(value, tuple):
                found[name].update(value)
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                found["org_types"].update(value)  # financing's {organization type: scope}
                found["scopes"].update(value.values())
    return found


def _principals(app: Any) -> tuple[dict[tuple[str, str], str], set[str], set[str]]:
    """Each operation's organization type, and every scope and role any route asks for."""
    org_type_of: dict[tuple[str, str], str] = {}
    scopes: set[str] = set()
    roles: set[str] = set()
    for route, context in _iter_routes_with_context(app.routes):
        if not isinstance(route, APIRoute):
            continue
        needs = _requirements(route)
        scopes |= needs["scopes"]
        roles |= needs["roles"]
        path = context.path if context is not None else route.path
        for method in route.methods:
            org_type_of[(method.upper(), path)] = sorted(needs["org_types"] or {"operator"})[0]
    return org_type_of, scopes, roles


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_fuzzing_every_operation_finds_no_server_error_and_no_answer_off_the_document(
        platform, auth_headers, capsys, record_property):
    features, outcomes = synthetic(600)  # a registered scoring model: scores answer, not 503
    scoring_models.save(scoring_models.fit_model(features, outcomes, challenger=False),
                        platform.settings.data_dir)
    platform.service(SCORING).reload()
    app = create_app(platform=platform)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    org_type_of, scopes, roles = _principals(app)
    assert len(org_type_of) > 100 and "scim" in scopes and "operator" in roles
    headers_for = {org_type: auth_headers(f"fuzz-{org_type}", org=f"fuzz-{org_type}-org",
                                          org_type=org_type, roles=sorted(roles), scopes=sorted(scopes))
                   for org_type in set(org_type_of.values())}
    failures: list[str] = []
    spent: Counter[str] = Counter()
    began = time.perf_counter()
    operations = cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        org_type = org_type_of.get((operation.method.upper(), operation.path), "operator")
        headers = headers_for.get(org_type) or next(iter(headers_for.values()))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, headers=dict(headers))

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                nonlocal cases
                cases += 1
                started = time.perf_counter()
                response = case.call(headers=dict(headers), timeout=600)  # first calls load models
                spent[f"{operation.method.upper()} {operation.path}"] += time.perf_counter() - started
                try:
                    case.validate_response(response, checks=CHECKS)
                except (AssertionError, BaseExceptionGroup) as exc:  # every check that failed
                    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                    failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: "
                                    f"{' | '.join(lines[1:8])}")

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to negate: an operation without parameters or body
    summary = (f"OpenAPI fuzz: {operations} operations x {cases} cases "
               f"({EXAMPLES} examples per operation and mode) in {time.perf_counter() - began:.0f}s "
               f"({sum(spent.values()):.0f}s in the app), {len(failures)} failures; slowest: "
               + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in spent.most_common(5)))
    record_property("openapi_fuzz", summary)  # in the JUnit report too (xdist hides prints)
    with capsys.disabled():
        print(f"\n{summary}")
    unique = sorted(set(failures))
    assert not unique, "\n".join(unique[:80])
