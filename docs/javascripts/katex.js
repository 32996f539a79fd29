// Renders the math of the pages with KaTeX, which the site serves itself (docs/vendor/katex):
// nothing is fetched from another host, so the math reads the same offline.
// pymdownx.arithmatex (generic mode, mkdocs.yml) leaves each formula's TeX in an element of
// class "arithmatex": \( ... \) inline, \[ ... \] displayed.
function renderMath(root) {
  for (const element of root.querySelectorAll(".arithmatex")) {
    const tex = element.textContent.trim();
    const inline = tex.startsWith("\\(") && tex.endsWith("\\)");
    const display = tex.startsWith("\\[") && tex.endsWith("\\]");
    katex.render(inline || display ? tex.slice(2, -2) : tex, element, {
      displayMode: !inline,
      throwOnError: false, // a formula KaTeX cannot read shows its TeX in red, with the reason
    });
  }
}

document$.subscribe(() => renderMath(document.body));
