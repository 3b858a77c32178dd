/* KL Notes: small fixes on top of sphinx-book-theme 1.3 / pydata-sphinx-theme 0.17.
 * Registered by the klnotes.style Sphinx extension (see _config.yml). */
"use strict";

(() => {
  // This script is deferred: it runs before DOMContentLoaded, by which time
  // the theme's own deferred scripts have set up their tooltips and buttons.
  const onReady = (fn) =>
    document.readyState === "complete"
      ? fn()
      : document.addEventListener("DOMContentLoaded", fn);

  /* Header buttons: tooltips on hover only, and gone once the button is used.
   * The theme's tooltips also show on focus; a clicked button keeps the focus,
   * and a sidebar dialog gives it back when it closes, so the tooltip stayed on
   * screen over the neighbouring buttons. (On touch screens, with no hover, the
   * CSS hides them.) Keyboard users still have each button's aria-label. */
  function unstickTooltips() {
    if (!window.bootstrap || !bootstrap.Tooltip) return;
    document
      .querySelectorAll(".bd-header-article [data-bs-toggle='tooltip']")
      .forEach((button) => {
        bootstrap.Tooltip.getInstance(button)?.dispose();
        const tip = new bootstrap.Tooltip(button, {
          trigger: "hover",
          delay: { show: 500, hide: 100 }, // the theme's
        });
        button.addEventListener("click", () => tip.hide());
      });
  }

  /* Display formulas wider than their line: mark them (the CSS shows a fade
   * on the side that has more, and a thin scrollbar). */
  function markWideFormulas() {
    const update = (box) => {
      const wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("klnotes-scroll", wide);
      box.classList.toggle("klnotes-more-left", wide && box.scrollLeft > 1);
      box.classList.toggle(
        "klnotes-more-right",
        wide && box.scrollLeft + box.clientWidth < box.scrollWidth - 1,
      );
    };
    const boxes = document.querySelectorAll("div.math > mjx-container");
    boxes.forEach((box) => {
      update(box);
      if (!box.dataset.klnotesScroll) {
        box.dataset.klnotesScroll = "1";
        box.addEventListener("scroll", () => update(box), { passive: true });
      }
    });
    return boxes.length;
  }

  let resizeTimer;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markWideFormulas, 150);
  });

  onReady(unstickTooltips);
  // MathJax is loaded after this script; by the window's load event it has
  // started, and its startup promise resolves once the page is typeset.
  window.addEventListener("load", () => {
    const startup = window.MathJax && window.MathJax.startup;
    if (startup && startup.promise) startup.promise.then(markWideFormulas);
  });
})();
