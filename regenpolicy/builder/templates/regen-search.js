/* The report's search ranking and snippets (Sphinx's html_search_scorer: put into language_data.js, which only
 * the search page loads; searchtools.js, loaded before it, has defined Scorer and Search).
 *
 * Ranking: Sphinx scores a page 15 when a searched word is in one of its headings and 5 when it is in its
 * text, however often, and sorts ties by title — so a code said once in the appendix ranked above the page
 * that discusses it. Each result's score here adds, for every searched word, how strongly the page is
 * about it (regenSearchWeights, written by the build: in the page's title, in a heading, how often in its
 * text; regenpolicy.builder.sphinx_ext.term_weights).
 *
 * Snippets: the text around the word, from the page's prose — not from a chart's drawing (its ticks), a
 * data table (cells run together, source ids), the download panel or the citation. */
"use strict";
(() => {
  const PLAIN_MENTION = 6; // a word said once in a page's text (sphinx_ext.PLAIN_MENTION)
  const weights = () => (typeof regenSearchWeights === "undefined" ? null : regenSearchWeights);
  let lookup = null; // word → Map(docname → weight)
  const weightOf = (word, docname) => {
    const data = weights();
    if (data === null) return 0;
    if (lookup === null) lookup = new Map();
    if (!lookup.has(word)) {
      const pairs = data.w[word] || [];
      const map = new Map();
      for (let i = 0; i + 1 < pairs.length; i += 2) map.set(data.docs[pairs[i]], pairs[i + 1]);
      lookup.set(word, map);
    }
    const found = lookup.get(word).get(docname);
    return found === undefined ? PLAIN_MENTION : found;
  };
  const searched = () => {
    const query = new URLSearchParams(window.location.search).get("q") || "";
    return splitQuery(query.toLowerCase().trim()).filter((w) => !/^\d+$/.test(w));
  };
  if (typeof Scorer !== "undefined") {
    Scorer.score = (result) => {
      const [docname, , anchor, , score] = result;
      if (anchor) return score; // a heading's own match: Sphinx's score
      return score + searched().reduce((sum, word) => sum + weightOf(word, docname), 0);
    };
  }
  if (typeof Search !== "undefined") {
    const NOT_PROSE = [".regen-print", ".regen-chart", ".regen-data", ".regen-panel", ".regen-print-data",
                       ".regen-cite", "svg", "table", "pre"];
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const page = new DOMParser().parseFromString(htmlString, "text/html");
      page.querySelectorAll(NOT_PROSE.join(",")).forEach((el) => el.remove());
      return htmlToText(page.documentElement.outerHTML, anchor);
    };
  }
})();
