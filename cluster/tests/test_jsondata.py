from cluster.jsondata import ViewMemo, copy_json


def test_copy_json_is_deep():
    value = {"a": [{"b": 1}]}
    copied = copy_json(value)
    copied["a"][0]["b"] = 2
    assert value == {"a": [{"b": 1}]}


def test_a_view_memo_works_a_result_out_once_per_same_object():
    memo, calls = ViewMemo(limit=2), []
    spec = {"containers": []}

    def compute(tag):
        calls.append(tag)
        return tag

    assert memo.get((spec,), lambda: compute("first")) == "first"
    assert memo.get((spec,), lambda: compute("again")) == "first"  # the same object: remembered
    assert memo.get((spec,), lambda: compute("rules"), ("other-rules",)) == "rules"
    equal_but_new = {"containers": []}
    assert memo.get((equal_but_new,), lambda: compute("new")) == "new"  # another object: worked out
    assert calls == ["first", "rules", "new"]
