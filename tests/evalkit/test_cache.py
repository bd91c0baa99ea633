"""Model calls cached in the store: a rerun computes nothing; a new prompt computes only itself."""

from workbench.models.cache import cached_generate, cached_loglikelihood


def test_generate_cache_skips_known_prompts(tiny_model, store):
    stats: dict = {}
    first = cached_generate(tiny_model, store, ["a", "b", "a"], max_new_tokens=4, stats=stats)
    assert stats == {"cached": 0, "computed": 2}
    stats = {}
    again = cached_generate(tiny_model, store, ["a", "b", "c"], max_new_tokens=4, stats=stats)
    assert stats == {"cached": 2, "computed": 1}
    assert [g.text for g in again[:2]] == [g.text for g in first[:2]]
    stats = {}
    cached_generate(tiny_model, store, ["a"], max_new_tokens=5, stats=stats)  # other params: other key
    assert stats == {"cached": 0, "computed": 1}


def test_loglikelihood_cache_returns_the_same_numbers(tiny_model, store):
    reqs = [("Question: x\nAnswer:", " y"), ("Question: x\nAnswer:", " z")]
    stats: dict = {}
    a = cached_loglikelihood(tiny_model, store, reqs, stats=stats)
    b = cached_loglikelihood(tiny_model, store, reqs, stats=stats)
    assert stats == {"cached": 2, "computed": 2} and a == b == tiny_model.loglikelihood(reqs)
