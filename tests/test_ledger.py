"""Unit tests of klnotes.ledger: statuses, the assembly and its gates, the graph."""

from __future__ import annotations

import copy
import re

import pytest

from klnotes import ledger
from klnotes.ledger import LedgerError, assemble, claim_status, graph_svg


def test_status_is_the_strongest_role():
    assert claim_status(["consistency", "proof"]) == "proved symbolically"
    assert (
        claim_status(["bound", "independent"]) == "checked against an independent value"
    )
    assert claim_status(["monte carlo", "source"]) == "checked by Monte Carlo"
    assert claim_status(["bound"]) == "checked as a bound"
    assert claim_status(["source"]) == "source only"
    assert claim_status(["consistency", "consistency"]) == "consistency only"
    assert claim_status([]) == "unverified"
    assert claim_status([], without_proof=True) == "stated without proof"
    with pytest.raises(ValueError, match="unknown check roles"):
        claim_status(["numeric"])


def test_verified_statuses():
    assert [s for s in ledger.STATUSES if ledger.is_verified(s)] == list(
        ledger.STATUSES[:4]
    )
    assert ledger.status_slug("checked by Monte Carlo") == "monte-carlo"
    with pytest.raises(ValueError):
        ledger.status_slug("fine")


def _check(name, claim, role="independent"):
    return {
        "name": name,
        "claim": claim,
        "role": role,
        "kind": "numeric",
        "expected": "1",
        "actual": "1",
        "tolerance": "rtol=1e-10, atol=0",
        "power": None,
        "cell": 3,
    }


def _payload(chapter, checks, claims=(), uses=None, h="H"):
    return {
        "schema": ledger.RECORDS_SCHEMA,
        "chapter": chapter,
        "klnotes_hash": h,
        "claims": list(claims),
        "uses": uses or {},
        "checks": checks,
    }


def _book():
    return {
        "one": {
            "docname": "book/one",
            "statements": [
                {"label": "thm-one", "kind": "theorem", "title": "First", "refs": []},
                {"label": "def-x", "kind": "definition", "title": "", "refs": []},
            ],
            "ids": ["thm-one", "one-fig"],
            "payload": _payload(
                "one",
                [
                    _check("a proof", "thm-one", "proof"),
                    _check("the figure", "one-fig", "source"),
                    _check("the figure again", "one-fig"),
                ],
                claims=[
                    {
                        "label": "one-fig",
                        "kind": "source figure",
                        "title": "A figure",
                        "uses": ["thm-one"],
                        "post": "0.5",
                        "book": None,
                        "reason": None,
                    }
                ],
            ),
        },
        "two": {
            "docname": "book/two",
            "statements": [
                {
                    "label": "thm-two",
                    "kind": "theorem",
                    "title": "Second",
                    "refs": ["thm-one"],
                },
                {"label": "cor-two", "kind": "corollary", "title": "", "refs": []},
            ],
            "ids": ["thm-two", "cor-two"],
            "payload": _payload(
                "two",
                [
                    _check("mc", "thm-two", "monte carlo"),
                    _check("b", "cor-two", "bound"),
                ],
                uses={"cor-two": ["thm-two"]},
            ),
        },
    }


def test_assemble_a_good_book():
    data = assemble(_book(), expected_hash="H")
    labels = [c["label"] for c in data["claims"]]
    assert labels == [
        "thm-one",
        "one-fig",
        "thm-two",
        "cor-two",
    ]  # definitions are not claims
    status = {c["label"]: c["status"] for c in data["claims"]}
    assert status == {
        "thm-one": "proved symbolically",
        "one-fig": "checked against an independent value",
        "thm-two": "checked by Monte Carlo",
        "cor-two": "checked as a bound",
    }
    assert sorted(map(tuple, data["edges"])) == [
        ("cor-two", "thm-two"),
        ("one-fig", "thm-one"),
        ("thm-two", "thm-one"),
    ]
    by = {c["label"]: c for c in data["claims"]}
    assert by["thm-one"]["used_by"] == ["one-fig", "thm-two"]
    assert data["counts"]["proved symbolically"] == 1
    assert data["schema"] == ledger.LEDGER_SCHEMA


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (
            lambda b: b["one"]["payload"]["checks"].pop(0),
            "one: theorem 'thm-one' (First) has no check at all",
        ),
        (
            lambda b: b["one"]["payload"]["checks"].__setitem__(
                0, _check("x", "thm-one", "consistency")
            ),
            "only consistency checks",
        ),
        (
            lambda b: b["one"]["payload"]["checks"].__setitem__(
                0, _check("x", "thm-one", "source")
            ),
            "only source checks",
        ),
        (
            lambda b: b["two"]["payload"]["checks"].append(
                _check("ghost", "thm-nothing")
            ),
            "two: check 'ghost' names claim 'thm-nothing', which does not exist",
        ),
        (
            lambda b: b["one"]["ids"].remove("one-fig"),
            "declared claim 'one-fig' has no target",
        ),
        (
            lambda b: b["two"]["payload"].__setitem__("klnotes_hash", "OLD"),
            "two: its outputs were made by other helpers",
        ),
        (
            lambda b: b["two"].__setitem__("payload", None),
            "two: theorem 'thm-two' is on a page that runs no checks",
        ),
        (
            lambda b: b["two"]["payload"]["uses"].__setitem__(
                "cor-two", ["thm-missing"]
            ),
            "claim 'cor-two' uses 'thm-missing', which is not a claim",
        ),
        (
            lambda b: b["one"]["payload"]["checks"].__setitem__(
                1, _check("x", "one-fig")
            ),
            "source figure 'one-fig' has no source check",
        ),
        (
            lambda b: b["two"]["payload"].__setitem__("chapter", "deux"),
            "two: its CheckLog is named 'deux'",
        ),
        (
            lambda b: b["two"]["statements"].append(
                {"label": "thm-one", "kind": "theorem", "title": "", "refs": []}
            ),
            "claim 'thm-one' is defined twice",
        ),
    ],
)
def test_assemble_refuses(break_it, message):
    book = copy.deepcopy(_book())
    break_it(book)
    with pytest.raises(LedgerError) as ei:
        assemble(book, expected_hash="H")
    assert message in str(ei.value)


def test_stated_without_proof_is_allowed_and_shown():
    book = copy.deepcopy(_book())
    book["two"]["payload"]["checks"] = [_check("b", "cor-two", "bound")]
    book["two"]["payload"]["claims"].append(
        {
            "label": "thm-two",
            "kind": "stated without proof",
            "title": "thm-two",
            "reason": "quoted",
        }
    )
    data = assemble(book, expected_hash="H")
    two = next(c for c in data["claims"] if c["label"] == "thm-two")
    assert two["status"] == "stated without proof" and two["reason"] == "quoted"


def test_validate_payload():
    with pytest.raises(ValueError, match="not a klnotes check payload"):
        ledger.validate_payload({"schema": "x"}, "here")
    bad = _payload("one", [dict(_check("a", "b"), role="numeric")])
    with pytest.raises(ValueError, match="unknown role 'numeric'"):
        ledger.validate_payload(bad, "here")


def test_graph_svg_draws_every_node_and_edge_with_status_classes():
    nodes = [
        {
            "id": "a",
            "group": "g1",
            "heading": "Theorem 1.1",
            "text": "A <long> title & more",
            "status": "proved symbolically",
            "url": "one.html#a",
            "tooltip": "t",
        },
        {
            "id": "b",
            "group": "g1",
            "text": "uses a",
            "status": "checked as a bound",
            "url": "one.html#b",
        },
        {
            "id": "c",
            "group": "g2",
            "text": "elsewhere",
            "status": "external",
            "url": "two.html#c",
        },
    ]
    svg = graph_svg(
        nodes, [("b", "a"), ("c", "a"), ("x", "a")], [("g1", "One"), ("g2", "Two")]
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="kl-node ') == 3
    assert svg.count('class="kl-edge"') == 2  # the edge to an unknown node is dropped
    assert (
        "kl-status-proved" in svg
        and "kl-status-bound" in svg
        and "kl-status-external" in svg
    )
    assert "&lt;long&gt;" in svg and "&amp;" in svg and "<long>" not in svg
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    assert width <= 620  # fits the text column at 1280 px without scaling


def test_external_claims_of_a_single_chapter_build_are_tolerated():
    book = copy.deepcopy(_book())
    del book["one"]
    with pytest.raises(LedgerError, match="uses 'thm-one', which is not a claim"):
        assemble(copy.deepcopy(book), expected_hash="H")
    book["two"]["payload"]["checks"].append(_check("elsewhere", "thm-one"))
    data = assemble(book, expected_hash="H", external={"thm-one"})
    two = next(c for c in data["claims"] if c["label"] == "thm-two")
    assert two["uses"] == [] and len(two["checks"]) == 1
