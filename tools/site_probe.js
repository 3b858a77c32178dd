// What the site checks read from a page once it is typeset (tools/site_check.py).
// Evaluated by Playwright with one argument, `full`: false reads only the
// images (enough after switching to dark mode). Returns plain JSON.
(full = true) => {
  const THEOREM_LIKE = [
    ".proof.theorem",
    ".proof.proposition",
    ".proof.lemma",
    ".proof.corollary",
    ".proof.definition",
  ].join(",");
  const main = document.querySelector("main") || document.body;
  const visible = (el) =>
    !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const px = (v) => parseFloat(v) || 0;

  const images = [...document.querySelectorAll("img")].map((img) => ({
    src: img.getAttribute("src") || "",
    url: img.currentSrc || img.src,
    loaded: img.complete && img.naturalWidth > 0,
    visible: visible(img),
    width: img.clientWidth,
    naturalWidth: img.naturalWidth,
    classes: img.className,
    inFigure: !!img.closest("figure"),
    figure: (img.closest("figure") || {}).id || "",
    caption:
      img.closest("figure")?.querySelector("figcaption .caption-number")?.textContent.trim() || "",
    filter: getComputedStyle(img).filter,
  }));
  const theme = document.documentElement.dataset.theme || "";
  // Search in the page's frame: fields (a box with a label) and icon-only
  // buttons, as shown (not the search page's own form in its article).
  const search = [...document.querySelectorAll(".search-button__button, form.bd-search")]
    .filter((el) => visible(el) && !el.closest("dialog, article, .bd-search-container"))
    .map((el) => (el.classList.contains("search-button-field") || el.tagName === "FORM" ? "field" : "icon"));
  if (!full) return { theme, images, search };

  // --- MathJax ---------------------------------------------------------------
  const mj = window.MathJax;
  const items = [];
  if (mj && mj.startup && mj.startup.document && mj.startup.document.math) {
    for (const item of mj.startup.document.math) items.push(item);
  }
  const texErrors = [...document.querySelectorAll("mjx-merror")].map((e) => {
    const item = items.find((i) => i.typesetRoot && i.typesetRoot.contains(e));
    return (e.getAttribute("data-mjx-error") || e.textContent || "").slice(0, 120) +
      (item ? `  in: ${item.math.slice(0, 80)}` : "");
  });
  // Sphinx marks math with .math; typeset math has an mjx-container inside.
  const untypeset = [...main.querySelectorAll(".math")]
    .filter((el) => !el.querySelector("mjx-container") && /\\\(|\\\[|\$/.test(el.textContent))
    .map((el) => el.textContent.trim().slice(0, 80));

  const formulas = items
    .filter((i) => i.display && i.typesetRoot && i.typesetRoot.isConnected)
    .map((i) => {
      const box = i.typesetRoot;
      const line = box.closest("div.math") || box.parentElement;
      const block = box.closest(THEOREM_LIKE);
      const eqno = line.querySelector(".eqno");
      return {
        id: line.id || "",
        eqno: eqno ? eqno.textContent.replace(/#/g, "").trim() : "",
        tex: i.math.trim().replace(/\s+/g, " ").slice(0, 60),
        width: box.scrollWidth,
        avail: box.clientWidth,
        column: line.clientWidth,
        theorem: block
          ? (block.querySelector(".admonition-title") || block).textContent
              .trim().replace(/\s+/g, " ").slice(0, 60)
          : "",
        cue: box.classList.contains("klnotes-scroll"),
        cueMask: getComputedStyle(box).maskImage || getComputedStyle(box).webkitMaskImage || "",
      };
    });

  // --- code cells and outputs ---------------------------------------------------
  // The width of 88 characters in a code block's font (measured once per size).
  const cols88 = {};
  const width88 = (pre, cs) => {
    const key = cs.fontFamily + cs.fontSize;
    if (!(key in cols88)) {
      const probe = document.createElement("span");
      probe.textContent = "x".repeat(88);
      probe.style.cssText = "position:absolute;visibility:hidden;white-space:pre;left:-9999px";
      pre.appendChild(probe);
      cols88[key] = probe.getBoundingClientRect().width;
      probe.remove();
    }
    return cols88[key];
  };
  const code = [...main.querySelectorAll("div.cell_input pre")].map((pre, index) => {
    const cs = getComputedStyle(pre);
    const avail = pre.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    const w88 = width88(pre, cs);
    const lines = pre.textContent.split("\n");
    return {
      index,
      fits88: w88 <= avail + 0.5,
      cols88: Math.round(w88),
      avail: Math.round(avail),
      fontSize: cs.fontSize,
      maxColumns: Math.max(...lines.map((l) => l.length)),
      scrolls: pre.scrollWidth > pre.clientWidth + 1,
      first: lines.find((l) => l.trim()) || "",
    };
  });
  const REPR = [
    /^\(?\s*(array|Array|DeviceArray)\(/,
    /^\(?\s*(Eq|Equality|Piecewise|Integral|Symbol)\(/,
    /^\(?\s*np\.(float|int)\d*\(/,
    /^\(?\s*<(Figure|Axes|matplotlib|daft|module|function)\b/,
    /^\[<matplotlib/,
    /^\(?\s*(Text|Line2D|Legend|PathCollection)\(/,
  ];
  const outputs = [...main.querySelectorAll("div.cell_output pre")].map((pre, index) => {
    const text = pre.textContent.trim();
    const cell = pre.closest(".cell");
    const source = cell && cell.querySelector(".cell_input pre");
    return {
      index,
      scrolls: pre.scrollWidth > pre.clientWidth + 1,
      repr: REPR.some((re) => re.test(text)) ? text.slice(0, 80) : "",
      cellSource: source ? source.textContent.trim().split("\n").slice(-1)[0].slice(0, 80) : "",
      text: text.slice(0, 80),
    };
  });

  // --- links and anchors -------------------------------------------------------
  // SVG anchors (the ledger's graphs) carry href as an SVGAnimatedString;
  // resolve every href against the page the same way.
  const links = [...document.querySelectorAll("a[href], a[*|href]")].map((a) => ({
    href: a.getAttribute("href") ?? a.getAttribute("xlink:href"),
    url: new URL(a.getAttribute("href") ?? a.getAttribute("xlink:href"), document.baseURI).href,
  }));
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);

  return {
    title: document.title,
    theme,
    search,
    mathjax: !!(mj && mj.startup),
    mathCount: items.length,
    displayCount: formulas.length,
    texErrors,
    untypeset,
    formulas,
    code,
    outputs,
    images,
    links,
    ids,
    typesetMs: window.__klnotesTypesetMs ?? null,
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
  };
}
