"""Sphinx extension: the verification ledger, built from the checks of this build's run.

Registered in ``_config.yml`` (``sphinx.local_extensions``). While Sphinx reads
each page it collects the page's ``prf`` statements (with the labels they cite
through ``{prf:ref}``, in the statement or its proof), the anchor ids on the
page, and the check payload the chapter's ``checks.summary()`` cell left in
the executed notebook, and it gives every code cell an anchor
``klnotes-cell-N``. After reading, :func:`klnotes.ledger.assemble` turns
that into the ledger and **fails the build** when a theorem-like claim has no
check that verifies it, when a check names a claim that does not exist, or
when a page's outputs were produced by other helpers than the tree holds.

Directives: ``{verification-ledger}`` (the whole ledger: counts, the graph
and every claim with its checks, collapsible by chapter) and
``{ledger-graph} CHAPTER`` (one chapter's sub-graph). Each statement in a
chapter gets a line with its status and a link to its ledger entry. At the
end of the build, ``ledger.json`` is written next to the HTML.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

HERE = Path(__file__).resolve().parent
RECORDS_MIME = "application/vnd.klnotes.checks+json"
GLUE_KEY = "klnotes-check-records"
KIND_NAMES = {
    "source figure": "Figure from the post",
    "reference value": "Reference value",
    "erratum": "Erratum",
}


def _klnotes_dir() -> Path:
    """The klnotes package the chapters' kernels import.

    That is the first ``klnotes`` on ``sys.path`` (so ``PYTHONPATH`` wins, as
    it does in a kernel), or else the one installed in the environment. A
    ``klnotes`` folder without the ledger module (a stand-in in a test) is
    passed over.
    """
    for entry in sys.path:
        candidate = Path(entry or ".").resolve() / "klnotes"
        if (candidate / "ledger.py").exists():
            return candidate
    spec = importlib.util.find_spec("klnotes")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "ledger.py").exists():
                return Path(location)
    try:
        url = json.loads(
            metadata.distribution("klnotes").read_text("direct_url.json") or "{}"
        )
        candidate = Path(url.get("url", "").removeprefix("file://")) / "klnotes"
        if (candidate / "ledger.py").exists():
            return candidate
    except metadata.PackageNotFoundError:
        pass
    return HERE.parent / "klnotes"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"_klnotes_{name}", _klnotes_dir() / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ledger = _load("ledger")
provenance = _load("provenance")


class LedgerRefused(SphinxError):
    category = "Verification ledger"


class ledger_placeholder(nodes.General, nodes.Element):
    """Replaced by the ledger (or a graph) once every page has been read."""


class VerificationLedger(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        return [ledger_placeholder(which="ledger")]


class LedgerGraph(SphinxDirective):
    has_content = False
    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        return [
            ledger_placeholder(which="graph", chapter=(self.arguments or [None])[0])
        ]


# ---------------------------------------------------------------------------
# reading


def _is_statement(node: nodes.Node) -> bool:
    """A sphinx-proof block (theorem, lemma, definition, …), not a proof."""
    from sphinx_proof.nodes import proof_node

    return (
        isinstance(node, nodes.Admonition)
        and not isinstance(node, proof_node)
        and "realtype" in node.attributes
    )


def _is_proof(node: nodes.Node) -> bool:
    from sphinx_proof.nodes import proof_node

    return isinstance(node, proof_node)


def _refs(node: nodes.Node) -> list[str]:
    return [
        x["reftarget"]
        for x in node.findall(pending_xref)
        if x.get("refdomain") == "prf" and x.get("reftarget")
    ]


def _payload(app: Sphinx, docname: str) -> dict | None:
    """The records a chapter's ``checks.summary()`` output carries.

    myst-nb writes each page's glue data (outputs tagged with a ``scrapbook``
    name) to ``jupyter_execute/DOC.glue.json`` while it reads the page; the
    summary output is tagged, so its metadata holds the records. A glue file
    older than the page's notebook is left over from an earlier build and
    ignored.
    """
    from myst_nb.sphinx_ext import OUTPUT_FOLDER

    base = (Path(app.outdir).parent / OUTPUT_FOLDER).joinpath(*docname.split("/"))
    glue, notebook = base.with_suffix(".glue.json"), base.with_suffix(".ipynb")
    if not glue.exists() or (
        notebook.exists() and glue.stat().st_mtime < notebook.stat().st_mtime - 5
    ):
        return None
    output = json.loads(glue.read_text(encoding="utf-8")).get(GLUE_KEY)
    if output is None:
        return None
    return output.get("metadata", {}).get(RECORDS_MIME)


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    has_cells = False
    for node in doctree.findall(nodes.container):
        if node.get("nb_element") == "cell_code":
            has_cells = True
            if node.get("exec_count"):
                node["ids"].append(f"klnotes-cell-{node['exec_count']}")
    statements: list[dict[str, Any]] = []
    current = None
    for node in doctree.findall(lambda n: _is_statement(n) or _is_proof(n)):
        if _is_proof(node):
            if current is not None:
                current["refs"].extend(_refs(node))
            continue
        current = {
            "label": node.get("label", ""),
            "kind": node.get("realtype", ""),
            "title": node.get("title", "").strip().removeprefix("(").removesuffix(")"),
            "refs": _refs(node),
        }
        statements.append(current)
    ids = sorted({i for n in doctree.findall(nodes.Element) for i in n.get("ids", [])})
    if not hasattr(env, "klnotes_pages"):
        env.klnotes_pages = {}
    env.klnotes_pages[docname] = {
        "docname": docname,
        "statements": statements,
        "ids": ids,
        "payload": _payload(app, docname) if has_cells else None,
    }


def on_purge(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "klnotes_pages", {}).pop(docname, None)


def on_merge(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    env.klnotes_pages = {
        **getattr(env, "klnotes_pages", {}),
        **getattr(other, "klnotes_pages", {}),
    }


def _doc_order(app: Sphinx) -> list[str]:
    site_map = getattr(app.env, "external_site_map", None)
    order: list[str] = []
    if site_map is not None:

        def walk(docname: str) -> None:
            if docname in order or docname not in site_map:
                return
            order.append(docname)
            for subtree in site_map[docname].subtrees:
                for item in subtree.items:
                    if isinstance(item, str):
                        walk(item)

        walk(site_map.root.docname)
    rest = sorted(set(getattr(app.env, "klnotes_pages", {})) - set(order))
    return order + rest


def _stand_in_for_external_statements(app: Sphinx, env: Any) -> None:
    """In a single-chapter build, let ``{prf:ref}`` to other chapters resolve.

    ``klnotes_ledger_external`` maps the labels of the book's other chapters
    to their kind; each missing one gets an entry in sphinx-proof's table
    pointing at the ledger page, so a reference renders as its kind instead
    of failing a build that cannot see the other chapters. The full build
    sets nothing here and resolves every reference for real.
    """
    external = app.config.klnotes_ledger_external or {}
    proofs = getattr(env, "proof_list", None)
    if proofs is None:
        env.proof_list = proofs = {}
    target = next((d for d in env.found_docs if d.endswith("ledger")), None)
    for label, kind in external.items():
        if kind != "claim" and label not in proofs and target is not None:
            proofs[label] = {
                "docname": target,
                "countertype": kind,
                "realtype": kind,
                "ids": [label],
                "label": label,
                "prio": 0,
                "nonumber": True,
            }


def on_check_consistency(app: Sphinx, env: Any) -> None:
    start = time.perf_counter()
    _stand_in_for_external_statements(app, env)
    pages = getattr(env, "klnotes_pages", {})
    chapters = {}
    for docname in _doc_order(app):
        page = pages.get(docname)
        if page is None or (page["payload"] is None and not page["statements"]):
            continue
        chapters[docname.split("/")[-1]] = dict(page)
    try:
        # the hash of the helpers a chapter executed now would import
        env.klnotes_ledger = ledger.assemble(
            chapters,
            expected_hash=provenance.source_hash(_klnotes_dir().parent),
            external=set(app.config.klnotes_ledger_external or {}),
        )
    except ledger.LedgerError as exc:
        raise LedgerRefused(str(exc)) from None
    env.klnotes_ledger_seconds = time.perf_counter() - start


# ---------------------------------------------------------------------------
# writing

_MATH = re.compile(r"\$([^$]+)\$")


def _inline(text: str) -> list[nodes.Node]:
    """Prose with ``$…$`` typeset as inline math."""
    out: list[nodes.Node] = []
    pos = 0
    for m in _MATH.finditer(text):
        if m.start() > pos:
            out.append(nodes.Text(text[pos : m.start()]))
        out.append(nodes.math(m.group(0), m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def _raw(text: str) -> nodes.raw:
    return nodes.raw("", text, format="html")


def _badge(status: str) -> nodes.inline:
    return nodes.inline(
        status,
        status,
        classes=["klnotes-status", f"klnotes-status-{ledger.status_slug(status)}"],
    )


class _Writer:
    def __init__(self, transform: SphinxPostTransform) -> None:
        self.env = transform.env
        self.app = transform.app
        self.builder = transform.app.builder
        self.here = transform.env.path2doc(transform.document["source"]) or ""
        self.data = self.env.klnotes_ledger
        self.claims = {c["label"]: c for c in self.data["claims"]}

    # links ---------------------------------------------------------------

    def uri(self, docname: str, anchor: str) -> str:
        return f"{self.builder.get_relative_uri(self.here, docname)}#{anchor}"

    def heading(self, claim: dict[str, Any]) -> str:
        if claim["kind"] in ledger.THEOREM_KINDS:
            info = self.env.proof_list.get(claim["label"], {})
            number = (
                self.env.toc_fignumbers.get(claim["docname"], {})
                .get(info.get("countertype", ""), {})
                .get(claim["label"])
            )
            numtext = ".".join(map(str, number)) if number else ""
            return f"{claim['kind'].title()} {numtext}".strip()
        return KIND_NAMES[claim["kind"]]

    def ref(self, claim: dict[str, Any]) -> nodes.Node:
        if claim["kind"] in ledger.THEOREM_KINDS:
            x = pending_xref(
                "",
                refdomain="prf",
                reftype="ref",
                reftarget=claim["label"],
                refdoc=self.here,
            )
            x += nodes.inline(claim["label"], claim["label"])
            return x
        ref = nodes.reference(
            "", "", refuri=self.uri(claim["docname"], claim["anchor"])
        )
        ref += nodes.inline("", self.heading(claim))
        return ref

    # the graph -----------------------------------------------------------

    def graph(self, chapter: str | None) -> list[nodes.Node]:
        claims = self.data["claims"]
        if chapter is not None:
            mine = [c for c in claims if c["chapter"] == chapter]
            if not mine:
                raise LedgerRefused(f"ledger-graph: no claims in chapter {chapter!r}")
            wanted = {c["label"] for c in mine}
            external = {u for c in mine for u in c["uses"] if u not in wanted}
            external |= {u for c in mine for u in c["used_by"] if u not in wanted}
        else:
            mine, external = claims, set()
        nodes_ = []
        for c in mine + [self.claims[u] for u in sorted(external)]:
            outside = c["label"] in external
            nodes_.append(
                {
                    "id": c["label"],
                    "group": "other chapters" if outside else c["chapter"],
                    "heading": self.heading(c),
                    "text": re.sub(r"\$[^$]*\$", "…", c["title"]),
                    "status": "external" if outside else c["status"],
                    "url": self.uri(c["docname"], c["anchor"]),
                    "tooltip": f"{self.heading(c)}: {c['title']} — {c['status']}",
                }
            )
        groups = []
        for ch in self.data["chapters"]:
            if any(n["group"] == ch for n in nodes_):
                groups.append((ch, self._chapter_title(ch)))
        if external:
            groups.append(("other chapters", "Claims of other chapters used here"))
        svg = ledger.graph_svg(nodes_, [tuple(e) for e in self.data["edges"]], groups)
        statuses = [s for s in ledger.STATUSES if any(n["status"] == s for n in nodes_)]
        legend = "".join(
            f'<li><span class="kl-swatch kl-status-{ledger.status_slug(s)}"></span>{html.escape(s)}</li>'
            for s in statuses
        ) + (
            '<li><span class="kl-swatch kl-status-external"></span>another chapter</li>'
            if external
            else ""
        )
        return [
            _raw(
                f'<div class="kl-graph-wrap"><ul class="kl-legend">{legend}</ul>'
                f'<div class="kl-graph-scroll" tabindex="0">{svg}</div>'
                '<p class="kl-graph-note">An arrow runs from a claim to a claim that uses it;'
                " each box links to its statement.</p></div>"
            )
        ]

    def _chapter_title(self, chapter: str) -> str:
        docname = next(
            c["docname"] for c in self.data["claims"] if c["chapter"] == chapter
        )
        title = self.env.titles.get(docname)
        number = self.env.toc_secnumbers.get(docname, {}).get("")
        text = title.astext() if title is not None else chapter
        return f"{'.'.join(map(str, number))} {text}" if number else text

    # the ledger ----------------------------------------------------------

    def ledger(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        counts = self.data["counts"]
        n_checks = sum(len(c["checks"]) for c in self.data["claims"])
        para = nodes.paragraph()
        para += nodes.Text(
            f"{len(self.data['claims'])} claims, {n_checks} checks, "
            f"{len(self.data['edges'])} uses between claims. By status:"
        )
        out.append(para)
        items = nodes.bullet_list(classes=["kl-counts"])
        for status in ledger.STATUSES:
            if status in counts:
                li = nodes.list_item()
                p = nodes.paragraph()
                p += _badge(status)
                p += nodes.Text(f" {counts[status]}")
                li += p
                items += li
        out.append(items)
        out.extend(self.graph(None))
        for chapter in self.data["chapters"]:
            claims = [c for c in self.data["claims"] if c["chapter"] == chapter]
            if not claims:
                continue
            n = sum(len(c["checks"]) for c in claims)
            out.append(
                _raw(
                    f'<details class="kl-chapter" id="ledger-{chapter}"><summary>'
                    f"{html.escape(self._chapter_title(chapter))} — {len(claims)} claims, {n} checks"
                    "</summary>"
                )
            )
            for claim in claims:
                out.extend(self.claim(claim))
            out.append(_raw("</details>"))
        return out

    def claim(self, c: dict[str, Any]) -> list[nodes.Node]:
        box = nodes.container(classes=["kl-claim"], ids=[f"ledger-claim-{c['label']}"])
        head = nodes.paragraph(classes=["kl-claim-head"])
        head += _badge(c["status"])
        head += nodes.Text(" ")
        head += self.ref(c)
        head += nodes.Text(" — ")
        head.extend(_inline(c["title"]))
        box += head
        facts = nodes.bullet_list(classes=["kl-facts"])

        def fact(label: str, content: list[nodes.Node]) -> None:
            li = nodes.list_item()
            p = nodes.paragraph()
            p += nodes.strong("", label + ": ")
            p.extend(content)
            li += p
            facts.append(li)

        if c["kind"] == "erratum":
            fact("The post has", _inline(c["post"]))
            fact("The book derives", _inline(c["book"]))
        if c["kind"] == "source figure":
            ours = [r for r in c["checks"] if r["role"] == "source"]
            shown = "; ".join(
                f"{r['actual']} (post {r['expected'].replace(' (post)', '')})"
                for r in ours
            )
            fact("Post's figure and ours", [nodes.Text(shown or str(c["post"]))])
        if c["reason"]:
            fact("Stated without proof", _inline(c["reason"]))
        for label, key in (("Uses", "uses"), ("Used by", "used_by")):
            if c[key]:
                content: list[nodes.Node] = []
                for i, u in enumerate(c[key]):
                    if i:
                        content.append(nodes.Text(", "))
                    content.append(self.ref(self.claims[u]))
                fact(label, content)
        if facts.children:
            box += facts
        if c["checks"]:
            checks = nodes.enumerated_list(classes=["kl-checks"])
            for r in c["checks"]:
                checks += self.check(r)
            box += checks
        return [box]

    def check(self, r: dict[str, Any]) -> nodes.list_item:
        li = nodes.list_item(
            classes=["kl-check", f"kl-role-{r['role'].replace(' ', '-')}"]
        )
        p = nodes.paragraph()
        p += nodes.inline(r["role"], r["role"], classes=["kl-role"])
        p += nodes.Text(" ")
        p.extend(_inline(r["name"]))
        li += p
        detail = nodes.paragraph(classes=["kl-check-detail"])
        detail += nodes.Text(
            f"result {r['actual']}; expected {r['expected']}; tolerance {r['tolerance']}"
        )
        if r.get("power") is not None:
            detail += nodes.Text(f"; power {r['power']:.3f} against the stated error")
        if r.get("cell") is not None:
            detail += nodes.Text("; ")
            link = nodes.reference(
                "", "", refuri=self.uri(r["docname"], f"klnotes-cell-{r['cell']}")
            )
            link += nodes.Text(f"code cell [{r['cell']}]")
            detail += link
        li += detail
        return li

    def badge_line(self, label: str) -> nodes.paragraph | None:
        c = self.claims.get(label)
        if c is None:
            return None
        p = nodes.paragraph(classes=["kl-statement-status"])
        p += _badge(c["status"])
        roles = {}
        for r in c["checks"]:
            roles[r["role"]] = roles.get(r["role"], 0) + 1
        summary = ", ".join(f"{n} {role}" for role, n in roles.items())
        p += nodes.Text(
            f" {len(c['checks'])} checks ({summary}) · " if summary else " · "
        )
        ref = nodes.reference(
            "", "", refuri=self.uri("book/ledger", f"ledger-claim-{label}")
        )
        ref += nodes.Text("ledger")
        p += ref
        return p


class LedgerTransform(SphinxPostTransform):
    """Fill the placeholders before cross-references are resolved (priority 10)."""

    default_priority = 5
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        if not hasattr(self.env, "klnotes_ledger"):
            return
        writer = None
        for node in list(self.document.findall(ledger_placeholder)):
            writer = writer or _Writer(self)
            node.replace_self(
                writer.ledger()
                if node["which"] == "ledger"
                else writer.graph(node.get("chapter"))
            )
        for node in list(self.document.findall(_is_statement)):
            writer = writer or _Writer(self)
            line = writer.badge_line(node.get("label", ""))
            if line is not None:
                content = next(iter(node.findall(nodes.section)), node)
                content += line


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    data = getattr(app.env, "klnotes_ledger", None)
    if data is None:
        return
    builder = app.builder
    out = {k: v for k, v in data.items() if k != "claims"}
    out["claims"] = []
    for c in data["claims"]:
        page = builder.get_target_uri(c["docname"])
        entry = {k: v for k, v in c.items() if k not in ("checks", "docname", "anchor")}
        entry["url"] = f"{page}#{c['anchor']}"
        entry["checks"] = [
            {
                **{k: v for k, v in r.items() if k not in ("docname",)},
                "url": f"{builder.get_target_uri(r['docname'])}#klnotes-cell-{r['cell']}"
                if r.get("cell") is not None
                else None,
            }
            for r in c["checks"]
        ]
        out["claims"].append(entry)
    Path(app.outdir, "ledger.json").write_text(
        json.dumps(out, indent=1), encoding="utf-8"
    )
    seconds = getattr(app.env, "klnotes_ledger_seconds", 0.0)
    print(
        f"[ledger] {len(out['claims'])} claims, {len(out['edges'])} edges; assembled in"
        f" {seconds * 1000:.0f} ms; wrote {Path(app.outdir, 'ledger.json')}"
    )


def on_builder_inited(app: Sphinx) -> None:
    app.config.html_static_path.append(str(HERE / "ledger_static"))
    app.add_css_file("klnotes-ledger.css")
    app.add_js_file("klnotes-ledger.js")


def setup(app: Sphinx) -> dict[str, Any]:
    # labels -> kind of the claims of chapters a single-chapter build leaves out
    app.add_config_value("klnotes_ledger_external", {}, "env")
    app.add_node(ledger_placeholder)
    app.add_directive("verification-ledger", VerificationLedger)
    app.add_directive("ledger-graph", LedgerGraph)
    app.connect("builder-inited", on_builder_inited)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-purge-doc", on_purge)
    app.connect("env-merge-info", on_merge)
    app.connect("env-check-consistency", on_check_consistency)
    app.connect("build-finished", on_build_finished)
    app.add_post_transform(LedgerTransform)
    return {
        "version": "1",
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "env_version": 1,
    }
