"""Over random sequences of consent actions and queries by several institutions, no query ever gets
data that a live consent did not cover at that moment, and every covered query is answered."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from bayfin.consent import ConsentFrequencyExhausted, ConsentNotFound, ConsentRefused
from bayfin.consent import domain as d
from bayfin.consent.errors import ConsentTransitionRefused
from bayfin.consent.service import ConsentRequestData, ConsentService
from bayfin.kernel.clock import FixedClock
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import Principal

INSTITUTIONS = ["bank-a", "bank-b", "bank-c"]
CATEGORIES = list(d.DataCategory)


@dataclass
class Model:
    """What the test believes about one consent."""

    institution: str
    firm: str
    categories: frozenset
    once: bool
    freq: int
    valid_until: datetime
    status: str = "requested"
    uses: list = field(default_factory=list)


def _firm_code(n: int) -> str:
    return f"914401{n:02d}MA5C{new_id()[-6:]}X".replace("I", "1").replace("O", "0")[:18]


def test_no_query_ever_returns_data_a_live_consent_did_not_cover(session_factory, platform):
    class ConsentMachine(RuleBasedStateMachine):
        consents = Bundle("consents")

        @initialize()
        def setup(self):
            self.clock = FixedClock(datetime(2026, 1, 15, 8, tzinfo=UTC))
            self.session = session_factory()
            self.nested = self.session.begin_nested()
            self.service = ConsentService(self.session, platform.audit, self.clock,
                                          platform.tokens.keys)
            self.firms = [_firm_code(i) for i in range(2)]
            self.model: dict[str, Model] = {}

        def teardown(self):
            self.nested.rollback()
            self.session.close()

        @rule(target=consents, inst=st.sampled_from(INSTITUTIONS), firm=st.integers(0, 1),
              cats=st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=4), once=st.booleans(),
              freq=st.integers(1, 3), days=st.integers(1, 60))
        def request(self, inst, firm, cats, once, freq, days):
            c = self.service.request(Principal(f"u-{inst}", inst, "institution"), ConsentRequestData(
                credit_code=self.firms[firm], purpose=d.Purpose.credit_review, purpose_text="t",
                categories=frozenset(cats), access_mode=d.AccessMode.once if once else
                d.AccessMode.periodic, frequency=d.Frequency(d.PeriodUnit.month, freq),
                data_from=date(2024, 1, 1), data_to=date(2025, 12, 31), validity_days=days,
                data_life=d.Frequency(d.PeriodUnit.month, 1)))
            self.model[c.id] = Model(inst, self.firms[firm], frozenset(cats), once, freq,
                                     self.clock.now() + timedelta(days=days))
            return c.id

        def _owner(self, cid):
            return Principal("owner", self.model[cid].firm, "enterprise")

        def _expired(self, m):
            return self.clock.now() >= m.valid_until

        @rule(cid=consents, keep=st.sets(st.sampled_from(CATEGORIES), max_size=3))
        def approve(self, cid, keep):
            m = self.model[cid]
            narrowed = frozenset(keep) & m.categories
            try:
                self.service.approve(self._owner(cid), cid, categories=narrowed)
            except ConsentTransitionRefused:
                assert m.status != "requested" or self._expired(m)
                return
            assert m.status == "requested" and not self._expired(m)
            m.status, m.categories = "active", narrowed or m.categories

        @rule(cid=consents, action=st.sampled_from(["reject", "pause", "resume", "revoke"]))
        def change(self, cid, action):
            m = self.model[cid]
            legal = {"reject": ("requested", "rejected"), "pause": ("active", "paused"),
                     "resume": ("paused", "active"), "revoke": (("active", "paused"), "revoked")}
            allowed_from, target = legal[action]
            try:
                self.service.change(self._owner(cid), cid, d.ConsentAction(action), "user_request")
            except ConsentTransitionRefused:
                assert m.status not in allowed_from or self._expired(m)
                return
            assert m.status in allowed_from and not self._expired(m)
            m.status = target

        @rule(hours=st.integers(1, 24 * 20))
        def wait(self, hours):
            self.clock.advance(hours=hours)

        @rule(cid=consents, inst=st.sampled_from(INSTITUTIONS), firm=st.integers(0, 1),
              cats=st.sets(st.sampled_from(CATEGORIES), max_size=3))
        def query(self, cid, inst, firm, cats):
            m = self.model[cid]
            now = self.clock.now()
            month = (now.year, now.month)
            covered = (inst == m.institution and self.firms[firm] == m.firm
                       and m.status == "active" and not self._expired(m)
                       and frozenset(cats) <= m.categories
                       and not (m.once and m.uses)
                       and sum(1 for u in m.uses if u == month) < m.freq)
            try:
                grant = self.service.authorize_use(Principal(f"u-{inst}", inst, "institution"), cid,
                                                   self.firms[firm], categories=frozenset(cats),
                                                   action="credit_report.read")
            except (ConsentRefused, ConsentNotFound, ConsentFrequencyExhausted):
                assert not covered
                return
            assert covered, "a query was answered that no live consent covered"
            assert grant.categories <= m.categories
            m.uses.append(month)
            if m.once:
                m.status = "expired"

    run_state_machine_as_test(ConsentMachine, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
