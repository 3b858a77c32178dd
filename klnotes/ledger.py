"""The verification ledger: every claim in the book, its status, its checks and its uses.

The model here is pure data and uses the standard library only, so the book's
Sphinx extension can load it without the numerical stack. A chapter's
:class:`klnotes.CheckLog` produces a *payload* (its checks and the claims it
declares); the build collects the payloads of every executed chapter and the
``prf`` statements of every page, and :func:`assemble` turns them into the
ledger, refusing a theorem-like claim that nothing verifies.

Statuses, strongest first (a claim takes the strongest its checks give):

* **proved symbolically** — at least one ``proof`` check;
* **checked against an independent value** — an ``independent`` check;
* **checked by Monte Carlo** — a ``monte carlo`` check (each states its power);
* **checked as a bound** — a ``bound`` check of the inequality claimed;
* **source only** — only agreement with a figure a post rounded;
* **consistency only** — only the code agreeing with itself;
* **unverified** — no check at all;
* **stated without proof** — marked so explicitly, with the reason.
"""

from __future__ import annotations

import re
from typing import Any

#: Every role a check can have (see :mod:`klnotes.checks`).
ROLES = ("proof", "independent", "monte carlo", "bound", "source", "consistency")

#: Roles whose checks verify a claim.
VERIFYING_ROLES = ("proof", "independent", "monte carlo", "bound")

#: Claim statuses, strongest first.
STATUSES = (
    "proved symbolically",
    "checked against an independent value",
    "checked by Monte Carlo",
    "checked as a bound",
    "source only",
    "consistency only",
    "unverified",
    "stated without proof",
)

_STATUS_OF_ROLE = dict(zip(ROLES, STATUSES[:6]))

#: Kinds of claim a chapter declares in code (``prf`` blocks are declared in the text).
DECLARED_KINDS = ("source figure", "reference value", "erratum")

#: Kinds of ``prf`` block that are claims and must be verified.
THEOREM_KINDS = ("theorem", "proposition", "lemma", "corollary")

#: Version tag of a chapter's payload.
RECORDS_SCHEMA = "klnotes-checks/1"


def claim_status(
    roles: list[str] | tuple[str, ...], *, without_proof: bool = False
) -> str:
    """The status a claim gets from the roles of its checks."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown check roles {unknown}; roles are {ROLES}")
    if without_proof and not roles:
        return "stated without proof"
    for role in ROLES:
        if role in roles:
            return _STATUS_OF_ROLE[role]
    return "stated without proof" if without_proof else "unverified"


def is_verified(status: str) -> bool:
    """True for the statuses that count as verification."""
    return status in STATUSES[:4]


def status_slug(status: str) -> str:
    """A CSS-friendly name for a status (``"checked by Monte Carlo"`` → ``"monte-carlo"``)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {
        "proved symbolically": "proved",
        "checked against an independent value": "independent",
        "checked by Monte Carlo": "monte-carlo",
        "checked as a bound": "bound",
        "source only": "source",
        "consistency only": "consistency",
        "unverified": "unverified",
        "stated without proof": "without-proof",
    }[status]


def validate_payload(payload: Any, where: str) -> dict[str, Any]:
    """Check the shape of one chapter's payload; raise ValueError naming ``where``."""
    if not isinstance(payload, dict) or payload.get("schema") != RECORDS_SCHEMA:
        raise ValueError(
            f"{where}: not a klnotes check payload (schema {RECORDS_SCHEMA})"
        )
    for key, typ in (
        ("chapter", str),
        ("klnotes_hash", str),
        ("claims", list),
        ("uses", dict),
        ("checks", list),
    ):
        if not isinstance(payload.get(key), typ):
            raise ValueError(
                f"{where}: payload field {key!r} missing or not a {typ.__name__}"
            )
    for i, r in enumerate(payload["checks"]):
        for key in ("name", "role", "claim", "expected", "actual", "tolerance", "kind"):
            if not isinstance(r.get(key), str):
                raise ValueError(f"{where}: check {i + 1} has no {key!r}")
        if r["role"] not in ROLES:
            raise ValueError(
                f"{where}: check {r['name']!r} has unknown role {r['role']!r}"
            )
    return payload


_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# ---------------------------------------------------------------------------
# assembling the ledger


class LedgerError(ValueError):
    """The ledger refuses the book: the message lists every claim at fault."""


def assemble(
    chapters: dict[str, dict[str, Any]],
    *,
    expected_hash: str | None = None,
    external: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Build the ledger from what each chapter page holds; raise :class:`LedgerError`.

    ``chapters`` maps a chapter name (in book order) to a dict with

    * ``"statements"``: the page's ``prf`` blocks, each ``{"label", "kind",
      "title", "refs"}`` (``refs``: labels cited with ``{prf:ref}`` in the
      statement or its proof);
    * ``"payload"``: the chapter's check payload, or ``None`` for a page that
      runs no checks;
    * ``"ids"``: every anchor id on the page (declared claims must be targets);
    * ``"docname"``: the page's document name.

    Every theorem-like claim (and every declared claim) must be verified by a
    ``proof``, ``independent``, ``monte carlo`` or ``bound`` check, unless it is
    marked stated without proof; a check must name a claim that exists; a
    payload must carry ``expected_hash`` when given. The errors are collected
    and raised together, each naming the claim and its chapter.

    ``external`` names claims of chapters left out of this build (a
    single-chapter preview): uses of them and checks naming them are kept
    without error, and they are drawn as claims of another chapter.
    """
    errors: list[str] = []
    claims: dict[str, dict[str, Any]] = {}
    order: list[str] = []

    def add(label: str, entry: dict[str, Any], where: str) -> None:
        if label in claims:
            errors.append(
                f"{where}: claim {label!r} is defined twice (also in {claims[label]['chapter']})"
            )
            return
        claims[label] = entry
        order.append(label)

    for chapter, page in chapters.items():
        payload = page.get("payload")
        statements = page.get("statements", [])
        if payload is None:
            for st in statements:
                if st["kind"] in THEOREM_KINDS:
                    errors.append(
                        f"{chapter}: {st['kind']} {st['label']!r} is on a page that runs no checks"
                        " (no checks.summary() output)"
                    )
            continue
        try:
            validate_payload(payload, chapter)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if payload["chapter"] != chapter:
            errors.append(
                f"{chapter}: its CheckLog is named {payload['chapter']!r}; name it {chapter!r}"
            )
        if expected_hash is not None and payload["klnotes_hash"] != expected_hash:
            errors.append(
                f"{chapter}: its outputs were made by other helpers than the tree has now"
                " (klnotes or environment hash differs); re-execute the chapter"
            )
        for st in statements:
            if st["kind"] not in THEOREM_KINDS:
                continue
            add(
                st["label"],
                {
                    "label": st["label"],
                    "kind": st["kind"],
                    "title": st.get("title") or st["label"],
                    "chapter": chapter,
                    "docname": page["docname"],
                    "anchor": st["label"],
                    "uses": list(dict.fromkeys(st.get("refs", []))),
                    "post": None,
                    "book": None,
                    "reason": None,
                    "checks": [],
                },
                chapter,
            )
        without = {}
        for c in payload["claims"]:
            if c["kind"] == "stated without proof":
                without[c["label"]] = c["reason"]
                continue
            if c["label"] not in page.get("ids", ()):
                errors.append(
                    f"{chapter}: declared claim {c['label']!r} has no target in the text;"
                    f" put ({c['label']})= before the paragraph that states it"
                )
            add(
                c["label"],
                {
                    "label": c["label"],
                    "kind": c["kind"],
                    "title": c["title"],
                    "chapter": chapter,
                    "docname": page["docname"],
                    "anchor": c["label"],
                    "uses": list(c.get("uses", [])),
                    "post": c.get("post"),
                    "book": c.get("book"),
                    "reason": None,
                    "checks": [],
                },
                chapter,
            )
        page["_without"] = without

    # second pass: explicit uses, stated-without-proof marks and checks
    for chapter, page in chapters.items():
        payload = page.get("payload")
        if not payload or "checks" not in payload:
            continue
        for label, reason in page.get("_without", {}).items():
            if label not in claims or claims[label]["kind"] not in THEOREM_KINDS:
                errors.append(
                    f"{chapter}: without_proof({label!r}) names no theorem, proposition,"
                    " lemma or corollary"
                )
            else:
                claims[label]["reason"] = reason
        for label, used in payload.get("uses", {}).items():
            if label in external and label not in claims:
                continue
            if label not in claims:
                errors.append(
                    f"{chapter}: uses({label!r}, …) names a claim that does not exist"
                )
                continue
            claims[label]["uses"] = list(
                dict.fromkeys(claims[label]["uses"] + list(used))
            )
        for r in payload["checks"]:
            if r["claim"] in external and r["claim"] not in claims:
                continue
            if r["claim"] not in claims:
                errors.append(
                    f"{chapter}: check {r['name']!r} names claim {r['claim']!r}, which does not exist"
                )
                continue
            claims[r["claim"]]["checks"].append(
                {**r, "chapter": chapter, "docname": page["docname"]}
            )

    for label in order:
        c = claims[label]
        c["uses"] = [u for u in c["uses"] if u in claims or u not in external]
        for u in c["uses"]:
            if u not in claims:
                errors.append(
                    f"{c['chapter']}: claim {label!r} uses {u!r}, which is not a claim"
                )
        roles = [r["role"] for r in c["checks"]]
        c["status"] = claim_status(roles, without_proof=c["reason"] is not None)
        if c["status"] == "stated without proof":
            continue
        if not is_verified(c["status"]):
            what = (
                "no check at all"
                if not roles
                else f"only {c['status'].split()[0]} checks"
            )
            errors.append(
                f"{c['chapter']}: {c['kind']} {label!r} ({c['title']}) has {what};"
                " add a check that verifies it, or mark it stated without proof with the reason"
            )
        if c["kind"] == "source figure" and "source" not in roles:
            errors.append(
                f"{c['chapter']}: source figure {label!r} has no source check against the post's figure"
            )
    if errors:
        raise LedgerError(
            "the verification ledger refuses the book:\n  " + "\n  ".join(errors)
        )

    used_by: dict[str, list[str]] = {label: [] for label in order}
    edges = []
    for label in order:
        for u in claims[label]["uses"]:
            used_by[u].append(label)
            edges.append([label, u])
    for label in order:
        claims[label]["used_by"] = used_by[label]
    counts = {s: 0 for s in STATUSES}
    for label in order:
        counts[claims[label]["status"]] += 1
    return {
        "schema": LEDGER_SCHEMA,
        "klnotes_hash": expected_hash,
        "chapters": list(chapters),
        "claims": [claims[label] for label in order],
        "edges": edges,
        "counts": {s: n for s, n in counts.items() if n},
    }


#: Version tag of ``ledger.json``.
LEDGER_SCHEMA = "klnotes-ledger/1"


# ---------------------------------------------------------------------------
# drawing the dependency graph (plain SVG, themed by CSS classes)

_NODE_W, _NODE_H, _GAP_X, _GAP_Y, _COLS, _PAD = 182, 46, 14, 30, 3, 14


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _wrap(text: str, width: int, lines: int) -> list[str]:
    words, out, cur = text.split(), [], ""
    for word in words:
        if len(cur) + len(word) + (1 if cur else 0) <= width:
            cur = f"{cur} {word}" if cur else word
        else:
            if cur:
                out.append(cur)
            cur = word[:width]
        if len(out) == lines:
            break
    if cur and len(out) < lines:
        out.append(cur)
    if len(out) == lines and " ".join(out) != " ".join(words):
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return out


def _levels(members: list[str], uses: dict[str, set[str]]) -> dict[str, int]:
    """Row of each member: one below the lowest member it uses (cycles cut)."""
    inside, depth = set(members), {}

    def level(nid: str, seen: frozenset) -> int:
        if nid not in depth:
            below = [u for u in uses[nid] if u in inside and u not in seen]
            depth[nid] = 1 + max((level(u, seen | {nid}) for u in below), default=-1)
        return depth[nid]

    for nid in members:
        level(nid, frozenset())
    return depth


def graph_svg(
    nodes: list[dict[str, Any]],
    edges: list[tuple[str, str]],
    groups: list[tuple[str, str]],
    *,
    title: str = "Dependency graph of the book's claims",
) -> str:
    """An SVG drawing of claims (boxes, coloured by status) and their uses (arrows).

    ``nodes``: ``{"id", "group", "heading", "text", "status", "url", "tooltip"}``
    (``status`` a status or ``"external"`` for a claim of another chapter);
    ``edges``: ``(user, used)`` pairs, drawn as an arrow from the used claim to
    its user; ``groups``: ``(group id, caption)`` in drawing order. Claims a
    group's other claims use are drawn above them. Colours come from CSS
    classes (``kl-status-…``), so the drawing follows the page's light or dark
    theme.
    """
    by_group: dict[str, list[dict[str, Any]]] = {g: [] for g, _ in groups}
    for node in nodes:
        by_group.setdefault(node["group"], []).append(node)
    ids = {n["id"] for n in nodes}
    uses: dict[str, set[str]] = {n["id"]: set() for n in nodes}
    for user, used in edges:
        if user in ids and used in ids:
            uses[user].add(used)

    pos: dict[str, tuple[float, float]] = {}
    parts: list[str] = []
    y = 0.0
    width = _PAD * 2 + _COLS * _NODE_W + (_COLS - 1) * _GAP_X
    for gid, caption in groups:
        members = by_group.get(gid, [])
        if not members:
            continue
        depth = _levels([n["id"] for n in members], uses)
        rows: list[list[dict[str, Any]]] = []
        for d in sorted(set(depth.values())):
            row = [n for n in members if depth[n["id"]] == d]
            for start in range(0, len(row), _COLS):
                rows.append(row[start : start + _COLS])
        top = y
        y += 26
        for row in rows:
            for col, n in enumerate(row):
                pos[n["id"]] = (_PAD + col * (_NODE_W + _GAP_X), y)
            y += _NODE_H + _GAP_Y
        height = y - top - _GAP_Y + _PAD
        parts.append(
            f'<g class="kl-group"><rect class="kl-group-box" x="2" y="{top:.0f}" width="{width - 4}"'
            f' height="{height:.0f}" rx="8"/><text class="kl-group-caption" x="{_PAD}" y="{top + 18:.0f}">'
            f"{_xml(caption)}</text></g>"
        )
        y = top + height + 16

    arrows = []
    for user, used in edges:
        if user not in pos or used not in pos:
            continue
        (x1, y1), (x2, y2) = pos[used], pos[user]
        sx, sy = x1 + _NODE_W / 2, y1 + _NODE_H
        tx, ty = x2 + _NODE_W / 2, y2
        if y2 <= y1:  # a user drawn above or beside what it uses: connect the sides
            sy, ty = y1 + _NODE_H / 2, y2 + _NODE_H / 2
            sx, tx = x1 + _NODE_W, x2 + _NODE_W
            bend = 40 + abs(ty - sy) / 6
            path = f"M{sx:.0f},{sy:.0f} C{sx + bend:.0f},{sy:.0f} {tx + bend:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
        else:
            mid = (sy + ty) / 2
            path = f"M{sx:.0f},{sy:.0f} C{sx:.0f},{mid:.0f} {tx:.0f},{mid:.0f} {tx:.0f},{ty - 2:.0f}"
        arrows.append(f'<path class="kl-edge" d="{path}" marker-end="url(#kl-arrow)"/>')

    boxes = []
    for n in nodes:
        if n["id"] not in pos:
            continue
        x0, y0 = pos[n["id"]]
        status = n["status"]
        cls = "external" if status == "external" else status_slug(status)
        lines = [n.get("heading", "")] + _wrap(
            n.get("text", ""), 27, 1 if n.get("heading") else 2
        )
        texts = "".join(
            f'<text class="kl-node-text{" kl-node-heading" if i == 0 and n.get("heading") else ""}"'
            f' x="{x0 + 8:.0f}" y="{y0 + 18 + 16 * i:.0f}">{_xml(line)}</text>'
            for i, line in enumerate(line for line in lines if line)
        )
        boxes.append(
            f'<a href="{_xml(n["url"])}" class="kl-node kl-status-{cls}"><title>{_xml(n.get("tooltip", ""))}</title>'
            f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{_NODE_W}" height="{_NODE_H}" rx="6"/>{texts}</a>'
        )
    height = max(y, 40)
    return (
        f'<svg class="kl-graph" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}"'
        f' height="{height:.0f}" viewBox="0 0 {width} {height:.0f}"><title>{_xml(title)}</title>'
        '<defs><marker id="kl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto-start-reverse"><path class="kl-arrowhead" d="M0,0 L10,5 L0,10 z"/>'
        "</marker></defs>"
        + "".join(parts)
        + "".join(arrows)
        + "".join(boxes)
        + "</svg>"
    )
