"""The model registry versions artefacts and reloads them to the same scores."""

import pytest

from bayfin.kernel.errors import NotFound
from bayfin.scoring import model as registry
from tests.unit.scoring.test_scorecard import synthetic


def test_saving_twice_makes_two_versions_and_loading_gives_identical_scores(tmp_path):
    features, y = synthetic(1500)
    fitted = registry.fit_model(features, y, challenger=True)
    assert registry.save(fitted, tmp_path).name == "v1"
    assert registry.save(fitted, tmp_path).name == "v2"
    loaded = registry.load(tmp_path)
    assert loaded.version == "v2"
    assert loaded.meta["fingerprint"] == registry.fingerprint(features, y)
    assert loaded.score_frame(features)["score"].to_list() == fitted.score_frame(features)["score"].to_list()
    explained = loaded.explain(features.head(1))[0]
    assert explained["challenger"]["pd"] >= 0 and explained["reasons"][0]["text"]


def test_an_empty_registry_says_there_is_no_model(tmp_path):
    with pytest.raises(NotFound):
        registry.load(tmp_path)
