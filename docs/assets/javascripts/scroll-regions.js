/* Content that scrolls sideways (a long formula, a wide table, a diagram on a phone) takes
   keyboard focus while it overflows, so a reader without a mouse can Tab to it and scroll it with
   the arrow keys, and a screen reader announces what it is. Content that fits gets nothing (no
   needless Tab stops); Material does the same for its code blocks. Checked by tests/test_a11y.py. */
(() => {
  // [selector, name, role]: a table or a figure keeps its own role and only takes a name
  const KINDS = [
    [".md-typeset div.arithmatex", "公式", "region"],
    [".md-typeset .md-typeset__scrollwrap", "表格", "region"],
    [".md-typeset table", "表格", null],
    [".md-typeset figure.dl-diagram", "图", null],
    [".md-typeset .dlnotes-result", "结果", "region"],
  ];
  const MARK = "data-dlnotes-scroll";  // the attributes this script added, to take them back

  const overflows = (el) => {
    const style = getComputedStyle(el);
    return (/auto|scroll/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      || (/auto|scroll/.test(style.overflowY) && el.scrollHeight > el.clientHeight + 1);
  };

  const focusable = (el, name, role) => {
    const added = { tabindex: "0", role, "aria-label": `${name}（可左右滚动）` };
    const names = Object.keys(added).filter((a) => added[a] && !el.hasAttribute(a));
    for (const a of names) el.setAttribute(a, added[a]);
    el.setAttribute(MARK, names.join(" "));
  };

  const plain = (el) => {
    for (const a of el.getAttribute(MARK).split(" ")) el.removeAttribute(a);
    el.removeAttribute(MARK);
  };

  const update = () => {
    for (const [selector, name, role] of KINDS) {
      for (const el of document.querySelectorAll(selector)) {
        const ours = el.hasAttribute(MARK);
        if (!ours && el.hasAttribute("tabindex")) continue;  // focusable already
        const inside = el.parentElement && el.parentElement.closest(`[${MARK}]`);
        const scrolls = !inside && overflows(el);
        if (scrolls && !ours) focusable(el, name, role);
        if (!scrolls && ours) plain(el);
      }
    }
  };

  let pending = false;
  const schedule = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; update(); });
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("resize", schedule);
  window.addEventListener("load", schedule);  // fonts and images change widths
})();
