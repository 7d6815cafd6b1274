"""The gateway's `filter` (kasocki-api.md, "filter") through python-socketio against `kasocki
serve` and the real broker: which fixture messages pass each kind of filter, the ack echo,
clearing, when a filter takes effect, and every InvalidFilterError."""

from __future__ import annotations

import re

import pytest

from conftest import fixture_events

pytest.register_assert_rewrite("gateway_fixture")
from gateway_fixture import assert_error_shape  # noqa: E402

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"  # 10 wiki recent-change events, offsets 0-9
EVENTS = fixture_events(ONE)


def at(topic: str, offset: int = 0) -> dict:
    return {"topic": topic, "partition": 0, "offset": offset}


def passing(filters: dict, sentinel: dict, client, fresh_topic, produce) -> list[int]:
    """Offsets of ONE that pass `filters`, read with consume. To know that nothing more passes,
    an empty second topic is subscribed too, and `sentinel` (which must pass) is produced to it
    once the expected messages came: the consume after the last ONE message must get it."""
    expected = [i for i, e in enumerate(EVENTS) if python_matches(filters, e)]
    extra = fresh_topic()
    client.ok("subscribe", [at(ONE), at(extra)])
    assert client.ok("filter", filters) == filters
    pending = [client.call_async("consume") for _ in range(len(expected) + 1)]
    got = [p.message()["_kafka"]["offset"] for p in pending[:-1]]
    produce(extra, [sentinel])
    last = pending[-1].message()
    assert last["_kafka"]["topic"] == extra, f"an unexpected message passed: {last}"
    assert got == expected
    return got


def python_matches(filters: dict, event: dict) -> bool:
    """The contract's matching rules, independently, for the fixture's values."""
    for path, want in filters.items():
        value, found = event, True
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                found = False
                break
        if not found:
            return False
        if isinstance(want, list):
            if isinstance(value, list):
                if not all(any(same(w, v) for v in value) for w in want):
                    return False
            elif not any(same(w, value) for w in want):
                return False
        elif isinstance(want, str) and len(want) > 1 and want.startswith("/") and \
                want.rfind("/") > 0:
            body, flags = want[1:want.rfind("/")], want[want.rfind("/") + 1:]
            if not isinstance(value, str):
                return False
            if not re.search(body, value, re.I if "i" in flags else 0):
                return False
        elif not same(want, value):
            return False
    return True


def same(a, b) -> bool:
    """Strict equality with types: 1 != "1", True != 1, 25 == 25.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


CASES = [
    pytest.param({"type": "edit"}, {"type": "edit"}, [0, 1, 3, 5, 6, 8, 9], id="top-level"),
    pytest.param({"meta.domain": "en.wikipedia.org"}, {"meta": {"domain": "en.wikipedia.org"}},
                 [0, 1, 3, 4, 8], id="nested"),
    pytest.param({"title": "/^Main/"}, {"title": "Main"}, [0, 8], id="regex"),
    pytest.param({"user": "/bot/"}, {"user": "robot"}, [], id="regex-case-sensitive"),
    pytest.param({"user": "/bot/i"}, {"user": "BOT"}, [3, 6, 9], id="regex-case-insensitive"),
    pytest.param({"title": "/hauptbahnhof|タワー/i"}, {"title": "タワー"}, [2, 7], id="regex-unicode"),
    pytest.param({"type": "edit", "bot": True}, {"type": "edit", "bot": True}, [3, 6, 9],
                 id="two-filters"),
    pytest.param({"type": ["new", "log"]}, {"type": "log"}, [2, 4, 7], id="array-any-of"),
    pytest.param({"tags": ["visualeditor", "mobile edit"]}, {"tags": ["mobile edit", "visualeditor"]},
                 [5], id="array-contains-all"),
    pytest.param({"tags": ["visualeditor"]}, {"tags": ["visualeditor"]}, [0, 5, 7],
                 id="array-contains-one"),
    pytest.param({"score": 25}, {"score": 25.0}, [9], id="int-equals-float"),
    pytest.param({"namespace": "0"}, {"namespace": "0"}, [], id="string-is-not-number"),
    pytest.param({"bot": 1}, {"bot": 1}, [], id="number-is-not-boolean"),
    pytest.param({"length.old": None}, {"length": {"old": None}}, [2, 4, 7], id="null"),
    pytest.param({"no_such_field": None}, {"no_such_field": None}, [], id="missing-never-matches"),
    pytest.param({"title.inner": "x"}, {"title": {"inner": "x"}}, [], id="path-through-string"),
    pytest.param({"length.new": 5120}, {"length": {"new": 5120}}, [2], id="nested-number"),
]


@pytest.mark.parametrize("filters, sentinel, expected", CASES)
def test_filter_passes_exactly_the_matching_messages(gateway, connect, fresh_topic, produce,
                                                     filters, sentinel, expected):
    client = connect(gateway)
    assert passing(filters, sentinel, client, fresh_topic, produce) == expected


def test_filters_apply_to_pushed_messages(gateway, connect):
    client = connect(gateway)
    client.ok("filter", {"type": "new"})  # before subscribe is fine
    client.ok("subscribe", [at(ONE)])
    client.ok("start")
    assert [m["_kafka"]["offset"] for m in client.messages(2)] == [2, 7]


def test_filter_ack_echoes_the_filters_as_stored(gateway, connect):
    client = connect(gateway)
    filters = {"meta.domain": "/\\.wikipedia\\.org$/i", "type": ["edit", "new"], "bot": False,
               "length.old": None, "score": 25.5}
    assert client.call("filter", filters) == [None, filters]


@pytest.mark.parametrize("cleared", [None, {}], ids=["null", "empty-object"])
def test_clearing_filters(gateway, connect, cleared):
    client = connect(gateway)
    client.ok("subscribe", [at(ONE)])
    client.ok("filter", {"type": "new"})
    assert client.ok("consume")["_kafka"]["offset"] == 2
    assert client.call("filter", cleared) == [None, None]
    assert client.ok("consume")["_kafka"]["offset"] == 3


def test_filter_without_argument_clears(gateway, connect):
    client = connect(gateway)
    client.ok("filter", {"type": "new"})
    assert client.call("filter") == [None, None]


def test_a_filter_applies_to_messages_after_its_ack(gateway, connect):
    client = connect(gateway)
    client.ok("subscribe", [at(ONE)])
    assert client.ok("consume")["_kafka"]["offset"] == 0
    client.ok("filter", {"bot": True})
    assert client.ok("consume")["_kafka"]["offset"] == 3
    client.ok("filter", {"type": "new"})
    assert client.ok("consume")["_kafka"]["offset"] == 7


INVALID = [
    pytest.param({"meta": {"domain": "en.wikipedia.org"}}, id="object-value"),
    pytest.param({"title": "/(/"}, id="bad-regex"),
    pytest.param({"title": "/(a)\\1/"}, id="backreference"),
    pytest.param({"title": "/a/x"}, id="unknown-flag"),
    pytest.param({f"k{i}": i for i in range(33)}, id="33-keys"),
    pytest.param({".".join(["a"] * 17): 1}, id="path-deeper-than-16"),
    pytest.param({"title": "/" + "a" * 1001 + "/"}, id="pattern-over-1000"),
    pytest.param({"tags": [{"a": 1}]}, id="object-in-array"),
    pytest.param({"tags": [["a"]]}, id="array-in-array"),
    pytest.param(5, id="number"),
    pytest.param("type=edit", id="string"),
    pytest.param([{"type": "edit"}], id="array"),
    pytest.param({"": "x"}, id="empty-path"),
]


@pytest.mark.parametrize("filters", INVALID)
def test_invalid_filters_are_rejected_and_keep_the_old_ones(gateway, connect, filters):
    client = connect(gateway)
    client.ok("subscribe", [at(ONE)])
    client.ok("filter", {"type": "new"})
    error = client.fails("filter", filters, name="InvalidFilterError")
    assert_error_shape(error, "filter")
    assert error["filters"] == filters
    client.wait_for(lambda _: client.errors(), "the err event")
    assert client.errors() == [error]
    # A failed filter call changes nothing: the previous filter still applies.
    assert client.ok("consume")["_kafka"]["offset"] == 2


def test_limits_are_inclusive(gateway, connect):
    client = connect(gateway)
    at_limit = {f"k{i}": i for i in range(32)}
    assert client.ok("filter", at_limit) == at_limit
    deep = {".".join(["a"] * 16): 1}
    assert client.ok("filter", deep) == deep
    long = {"title": "/" + "a" * 1000 + "/"}
    assert client.ok("filter", long) == long
