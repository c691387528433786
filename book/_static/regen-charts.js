/* The report's charts in the browser (loaded only on pages that have a chart, deferred).
 *
 * Text first, charts after: the page paints with its prose, each chart's description and its data
 * table (all in the HTML); a chart is drawn when it nears the screen, and the chart library
 * (the bundle this script's data-vega names) is loaded when the first chart is.
 *
 * Each figure carries its Vega-Lite specification as JSON (<script type="application/json">);
 * this script draws it with the site's own vega-embed (the site's vega bundle, nothing fetched from elsewhere), and:
 * - fits it to its box from 360 px up: a chart wider than the screen is redrawn with its side-by-side
 *   panels stacked, then narrower (axis labels shortened), never scaled down into unreadable text;
 * - puts the chart menu in Japanese;
 * - makes the chart reachable from the keyboard: Tab focuses it, the arrow keys step through its
 *   marks and show each one's tooltip, which a screen reader also hears (a live region).
 */
(function () {
  "use strict";
  var VEGA = document.currentScript && document.currentScript.getAttribute("data-vega");
  var library = null;
  function vegaLoaded() {
    if (window.vegaEmbed || !VEGA) { return Promise.resolve(); }
    if (!library) {
      library = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = VEGA;
        script.onload = resolve;
        script.onerror = function () { reject(new Error("the chart library did not load: " + VEGA)); };
        document.head.appendChild(script);
      });
    }
    return library;
  }
  var I18N = {
    CLICK_TO_VIEW_ACTIONS: "図の書き出しメニュー",
    COMPILED_ACTION: "Vega の仕様を表示",
    EDITOR_ACTION: "Vega Editor で開く",
    PNG_ACTION: "PNG で保存（グラフのみ）",
    SOURCE_ACTION: "仕様を表示",
    SVG_ACTION: "SVG で保存（グラフのみ）"
  };

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  /* Side-by-side panels stacked: facet columns become rows, hconcat becomes vconcat. */
  function stacked(spec) {
    var s = clone(spec), changed = false;
    var header = { labelAngle: 0, labelOrient: "top", labelAnchor: "start", labelAlign: "left" };
    if (s.facet && s.facet.column && !s.facet.row) {
      s.facet.row = s.facet.column;
      s.facet.row.header = Object.assign({}, header, s.facet.row.header || {});
      delete s.facet.column;
      changed = true;
    }
    if (s.hconcat) { s.vconcat = s.hconcat; delete s.hconcat; changed = true; }
    /* on a narrow screen legends go under the chart */
    s.config = s.config || {};
    s.config.legend = Object.assign({}, s.config.legend || {}, { orient: "bottom" });
    if (s.resolve && s.resolve.scale && changed) {
      /* a stacked layout shares the x axis only if it was shared before */
      if (s.resolve.scale.y === "independent" && !s.resolve.scale.x) { s.resolve.scale.x = "independent"; }
    }
    return s;
  }

  /* Every numeric width (view widths, bar widths, pixel positions on x) times r; long labels
     shortened to opts.limit px; legends in at most opts.columns columns. */
  function narrowed(spec, r, opts) {
    var s = clone(spec), limit = opts.limit, columns = opts.columns;
    (function walk(node, key) {
      if (!node || typeof node !== "object") { return; }
      if (Array.isArray(node)) { node.forEach(function (n) { walk(n, key); }); return; }
      if (typeof node.width === "number" && key !== "config") { node.width = Math.max(60, Math.floor(node.width * r)); }
      if (node.mark && typeof node.mark === "object" && typeof node.mark.width === "number") {
        node.mark.width = Math.max(4, Math.floor(node.mark.width * r));
      }
      /* text marks beside the plot (labels at the end of a line or bar) keep their share of the
         width and wrap onto lines within it, never cut short */
      if (node.mark && typeof node.mark === "object" && typeof node.mark.limit === "number") {
        node.mark.limit = Math.max(40, Math.floor(node.mark.limit * r));
        wrapText(s, node);
      }
      if (node.encoding && node.encoding.x && typeof node.encoding.x.value === "number") {
        node.encoding.x.value = Math.floor(node.encoding.x.value * r);
      }
      if (limit && typeof node.labelLimit === "number" && node.labelLimit > limit) { node.labelLimit = limit; }
      if (key === "legend" && node && (typeof node.columns !== "number" || node.columns > columns)) {
        node.columns = columns;  /* a legend in one row (the default at the top or bottom) wraps into columns */
      }
      if (key === "legend" && (node.orient === undefined || node.orient === "right" || node.orient === "left")) {
        node.orient = "bottom";
      }
      Object.keys(node).forEach(function (k) { if (k !== "datasets" && k !== "data") { walk(node[k], k); } });
    })(s, "");
    s.config = s.config || {};
    s.config.legend = Object.assign({}, s.config.legend || {}, { orient: "bottom" });
    if (limit) {
      ["axis", "legend"].forEach(function (k) {
        s.config[k] = Object.assign({}, s.config[k] || {}, { labelLimit: limit });
      });
      wrapLabels(s, limit);
    }
    return s;
  }

  /* Long category labels (axis and legend) are set on several lines, never cut short: a label cut
     to its first characters can read like its neighbour ("CRS等の副作用管…" twice). Each label of a
     nominal field is split into lines of at most `limit` px, breaking before an opening bracket and
     never before a closing one; the axis or legend looks its lines up by the label's full text. */
  var NO_LINE_START = "）」』】〕〉》、。・：，．％)]}:,.%";
  /* Lines of at most `per` em: a run of Latin letters, digits and their punctuation (17,440点's
     "17,440", "A100", "CAR-T") is one word that never breaks; a space is a break; Japanese breaks
     between characters, but not before closing brackets or punctuation (kinsoku). Half-width
     characters count half an em. */
  function lines(text, per) {
    var words = text.match(/[A-Za-z0-9][A-Za-z0-9,.\-+\/%]*|\s+|[\s\S]/g) || [];
    var out = [], line = "", width = 0;
    function w(word) { return Array.from(word).reduce(function (n, ch) { return n + (ch.charCodeAt(0) < 0x2000 ? 0.55 : 1); }, 0); }
    words.forEach(function (word) {
      var ww = w(word);
      if (/^\s+$/.test(word)) {
        if (line && width + ww > per) { out.push(line); line = ""; width = 0; } else if (line) { line += word; width += ww; }
        return;
      }
      var closing = NO_LINE_START.indexOf(word.charAt(0)) >= 0;
      var opening = word === "（" && width > per * 0.6;
      if (line && !closing && (width + ww > per || opening)) { out.push(line.replace(/\s+$/, "")); line = ""; width = 0; }
      line += word; width += ww;
    });
    if (line) { out.push(line.replace(/\s+$/, "")); }
    return out;
  }

  /* Every data row of a specification: its named datasets and inline data.values. */
  function eachRow(spec, fn) {
    function rows(list) { (list || []).forEach(function (row) { if (row) { fn(row); } }); }
    Object.keys(spec.datasets || {}).forEach(function (k) { rows(spec.datasets[k]); });
    (function walk(node) {
      if (!node || typeof node !== "object") { return; }
      if (Array.isArray(node)) { node.forEach(walk); return; }
      if (node.data && Array.isArray(node.data.values)) { rows(node.data.values); }
      Object.keys(node).forEach(function (k) { if (k !== "datasets") { walk(node[k]); } });
    })(spec);
  }

  function fieldValues(spec, field) {
    var seen = {}, out = [];
    eachRow(spec, function (row) {
      var v = row[field];
      if (typeof v === "string" && !seen[v]) { seen[v] = true; out.push(v); }
    });
    return out;
  }

  function wrapLabels(s, limit) {
    var config = s.config || {};
    var axisSize = (config.axis && config.axis.labelFontSize) || 11;
    var legendSize = (config.legend && config.legend.labelFontSize) || 11;
    (function walk(node) {
      if (!node || typeof node !== "object") { return; }
      if (Array.isArray(node)) { node.forEach(walk); return; }
      var enc = node.encoding || (node.facet && typeof node.facet === "object" ? { facet: node.facet } : null);
      if (enc) {
        ["x", "y", "color", "row", "column"].forEach(function (ch) {
          var c = enc[ch];
          if (!c || typeof c !== "object" || !c.field || (c.type !== "nominal" && c.type !== "ordinal")) { return; }
          var key = ch === "color" ? "legend" : (ch === "row" || ch === "column" ? "header" : "axis");
          if (c[key] === null) { return; }
          var per = Math.max(4, Math.floor(limit / (key === "legend" ? legendSize : axisSize)));
          var map = {}, any = false;
          fieldValues(s, c.field).forEach(function (v) {
            if (Array.from(v).length > per) { map[v] = lines(v, per); any = true; }
          });
          if (!any) { return; }
          c[key] = Object.assign({}, c[key] || {});
          c[key].labelExpr = "(" + JSON.stringify(map) + ")[datum.label] || datum.label";
          c[key].labelLimit = 0;
        });
      }
      Object.keys(node).forEach(function (k) { if (k !== "datasets" && k !== "data") { walk(node[k]); } });
    })(s);
    return s;
  }

  /* A text mark's labels on lines of at most its limit: the wrapped text is a new field of the
     (cloned) data, so tooltips keep the label as written. */
  function wrapText(s, node) {
    var text = node.encoding && node.encoding.text;
    if (!text || typeof text !== "object" || !text.field) { return; }
    var size = node.mark.fontSize || ((s.config && s.config.text && s.config.text.fontSize) || 11);
    var per = Math.max(4, Math.floor(node.mark.limit / size)), field = text.field, wrapped = "regen_lines_" + field;
    eachRow(s, function (row) {
      if (typeof row[field] === "string") { row[wrapped] = lines(row[field], per).join("\n"); }
    });
    node.encoding.text = Object.assign({}, text, { field: wrapped });
    node.mark.lineBreak = "\n";
    node.mark.limit = 0;
  }

  /* Dark mode: the chart is drawn on the page's dark background, its text light, and every colour
     of the specification lightened until it stands out from that background (3:1, WCAG 1.4.11;
     4.5:1 for text) — the same hues, so legends and prose that name a colour still hold. */
  var DARK_BG = "#121212";
  function dark() {
    if (document.documentElement.getAttribute("data-theme") !== "dark") { return false; }
    var m = (getComputedStyle(document.body).backgroundColor || "").match(/\d+/g);
    if (m && m.length >= 3) {
      DARK_BG = "#" + m.slice(0, 3).map(function (v) { return ("0" + Number(v).toString(16)).slice(-2); }).join("");
    }
    return true;
  }
  function rgb(hex) {
    if (hex.length === 4) { hex = "#" + hex.slice(1).split("").map(function (c) { return c + c; }).join(""); }
    var n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  function luminance(c) {
    return c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
      .reduce(function (sum, v, i) { return sum + v * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }
  function contrast(a, b) {
    var la = luminance(rgb(a)), lb = luminance(rgb(b));
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function lighten(hex, need) {
    var c = rgb(hex), t = 0, out = "#" + c.map(function (v) { return ("0" + v.toString(16)).slice(-2); }).join("");
    while (contrast(out, DARK_BG) < need && t < 1) {
      t += 0.05;
      out = "#" + c.map(function (v) {
        return ("0" + Math.round(v + (255 - v) * t).toString(16)).slice(-2);
      }).join("");
    }
    return out;
  }
  var HEX = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
  function isTextMark(node) {
    var m = node && node.mark;
    return m === "text" || (m && typeof m === "object" && m.type === "text");
  }
  function darkened(spec) {
    var s = clone(spec), light = "#dfe3e8", muted = "#aab2bb";
    /* text is read, so it needs 4.5:1: a text mark's colours are lightened further, and a text mark
       coloured by a field (labels in their line's colour) is set in the light text colour */
    (function walk(node, need) {
      if (!node || typeof node !== "object") { return; }
      if (isTextMark(node)) {
        need = 4.5;
        var c = node.encoding && node.encoding.color;
        if (c && typeof c === "object" && (c.field || c.condition)) { node.encoding.color = { value: light }; }
      }
      Object.keys(node).forEach(function (k) {
        var v = node[k];
        var n = /label|title/i.test(k) ? 4.5 : need;
        if (typeof v === "string" && HEX.test(v)) {
          node[k] = lighten(v, n);
        } else if (Array.isArray(v)) {
          v.forEach(function (x, i) {
            if (typeof x === "string" && HEX.test(x)) { v[i] = lighten(x, n); } else { walk(x, n); }
          });
        } else if (typeof v === "object" && k !== "datasets" && k !== "data") {
          walk(v, n);
        }
      });
    })(s, 3);
    s.config = s.config || {};
    s.config.background = DARK_BG;
    s.config.axis = Object.assign({}, s.config.axis || {}, {
      labelColor: light, titleColor: light, domainColor: muted, tickColor: muted, gridColor: "#39414b"
    });
    s.config.legend = Object.assign({}, s.config.legend || {}, { labelColor: light, titleColor: light });
    s.config.header = Object.assign({}, s.config.header || {}, { labelColor: light, titleColor: light });
    s.config.title = Object.assign({}, s.config.title || {}, { color: light, subtitleColor: muted });
    s.config.text = Object.assign({ color: light }, s.config.text || {});
    s.config.rule = Object.assign({ color: muted }, s.config.rule || {});
    return s;
  }

  /* A title longer than the box, in lines (Vega-Lite titles take an array of lines). */
  function wrapTitle(s, box) {
    var title = s.title, size = 14;
    if (!title) { return; }
    if (typeof title === "object" && !Array.isArray(title)) { size = title.fontSize || size; }
    var text = typeof title === "string" ? title : (Array.isArray(title) ? title.join("") : title.text);
    if (typeof text !== "string") { text = Array.isArray(text) ? text.join("") : ""; }
    var per = Math.max(8, Math.floor((box - 12) / size)), lines = [];
    for (var i = 0; i < text.length; i += per) { lines.push(text.slice(i, i + per)); }
    if (typeof title === "object" && !Array.isArray(title)) { title.text = lines; } else { s.title = lines; }
  }

  function widest(spec) {
    var w = 0;
    (function walk(node, key) {
      if (!node || typeof node !== "object") { return; }
      if (Array.isArray(node)) { node.forEach(function (n) { walk(n, key); }); return; }
      if (typeof node.width === "number" && key !== "config") { w = Math.max(w, node.width); }
      Object.keys(node).forEach(function (k) { if (k !== "datasets" && k !== "data") { walk(node[k], k); } });
    })(spec, "");
    return w;
  }

  function svgWidth(el) {
    var svg = el.querySelector("svg.marks");
    return svg ? svg.getBoundingClientRect().width : 0;
  }

  function embed(el, spec) {
    if (el._regenView) { el._regenView.finalize(); }
    return vegaEmbed(el, spec, {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
      i18n: I18N,
      /* the menu saves the chart alone: <ID>-chart-only.svg/.png, never the name of the captioned download */
      downloadFileName: el.getAttribute("data-name") || "chart-only",
      scaleFactor: 2,
      /* the tooltip stands beside the mark it describes (above it, else below or at a side), never
         over it, whether the mark was reached by the mouse or by the keyboard */
      tooltip: { anchor: "mark", position: ["top", "bottom", "right", "left"], offsetX: 8, offsetY: 8 }
    }).then(function (result) { el._regenView = result.view; return result; });
  }

  /* Draw at the natural size; if wider than the box: stack the panels, then narrow step by step. */
  function draw(el, spec) {
    var box = el.clientWidth || el.parentNode.clientWidth;
    return embed(el, spec).then(function (result) {
      if (svgWidth(el) <= box + 1) { return result; }
      var s = stacked(spec);
      wrapTitle(s, box);
      var step = embed(el, s);
      return step.then(function (res) { return fit(el, s, box, res, 0, 1); });
    }).then(function (res) {
      keyboard(el, res.view); label(el);
      el.setAttribute("data-regen-drawn", String(box));
      return res;
    });
  }

  function fit(el, s, box, res, attempt, r) {
    var w = svgWidth(el);
    if (w <= box + 1 && attempt > 0 && w < box - 12 && r < 1) {
      /* it fits with room to spare (the estimate counts overhanging titles): widen by bisection */
      return grow(el, s, box, res.opts, r, Math.min(1, r * 3), 4, res);
    }
    if (w <= box + 1 || attempt > 4) { return Promise.resolve(res); }
    var inner = widest(s);
    r = attempt === 0 ? Math.max(0.2, (box - (w - inner) - 4) / inner) : Math.max(0.1, r * (box - 4) / w);
    var opts = {
      limit: attempt > 0 || r < 0.6 ? Math.max(50, Math.floor(box * (attempt > 1 ? 0.25 : 0.32))) : 0,
      columns: attempt > 0 ? 1 : 2
    };
    var next = narrowed(s, r, opts);
    wrapTitle(next, box);
    return embed(el, next).then(function (drawn) { drawn.opts = opts; drawn.r = r; return fit(el, s, box, drawn, attempt + 1, r); });
  }

  /* Bisection on the width ratio between lo (fits) and hi; ends drawn at the widest that fits. */
  function grow(el, s, box, opts, lo, hi, n, best) {
    var last = best.r;
    function redraw(r) {
      var spec = narrowed(s, r, opts);
      wrapTitle(spec, box);
      last = r;
      return embed(el, spec).then(function (res) { res.r = r; res.opts = opts; return res; });
    }
    function step(lo, hi, n, best) {
      if (n === 0) { return last === lo ? Promise.resolve(best) : redraw(lo); }
      var mid = (lo + hi) / 2;
      return redraw(mid).then(function (res) {
        return svgWidth(el) <= box + 1 ? step(mid, hi, n - 1, res) : step(lo, mid, n - 1, best);
      });
    }
    return step(lo, hi, n, best);
  }

  /* The menu's summary has a name; the SVG is the chart's one focusable, labelled element. */
  function label(el) {
    var summary = el.querySelector("details summary");
    if (summary) { summary.setAttribute("aria-label", I18N.CLICK_TO_VIEW_ACTIONS); summary.setAttribute("title", I18N.CLICK_TO_VIEW_ACTIONS); }
  }

  function tooltipItems(view) {
    var out = [];
    (function walk(node) {
      if (!node || !node.items) { return; }
      node.items.forEach(function (item) {
        if (item.tooltip !== undefined && item.tooltip !== null && item.bounds) { out.push(item); }
        walk(item);
      });
    })(view.scenegraph().root);
    return out;
  }

  function tooltipText(value) {
    if (value === null || value === undefined) { return ""; }
    if (typeof value !== "object") { return String(value); }
    return Object.keys(value).map(function (k) { return k + "：" + value[k]; }).join("、");
  }

  function keyboard(el, view) {
    var svg = el.querySelector("svg.marks");
    if (!svg) { return; }
    var figure = el.closest("figure");
    var live = figure && figure.querySelector(".regen-live");
    if (figure && !live) {
      live = document.createElement("p");
      live.className = "regen-live visually-hidden";
      live.setAttribute("aria-live", "polite");
      el.parentNode.insertBefore(live, el.nextSibling);
    }
    /* one labelled image: the marks inside are not separate objects for assistive technology */
    Array.prototype.forEach.call(svg.querySelectorAll("[role], [aria-roledescription], [aria-label]"), function (n) {
      n.removeAttribute("role"); n.removeAttribute("aria-roledescription"); n.removeAttribute("aria-label");
    });
    svg.setAttribute("tabindex", "0");
    svg.setAttribute("role", "img");
    var alt = figure && figure.querySelector(".regen-alt");
    svg.setAttribute("aria-label", (alt ? alt.textContent : (svg.getAttribute("aria-label") || "図")) + "（矢印キーで各値を表示）");
    var items = tooltipItems(view), index = -1;
    function show(i) {
      if (!items.length) { return; }
      index = (i + items.length) % items.length;
      var item = items[index], b = item.bounds;
      var x = (b.x1 + b.x2) / 2, y = b.y1, g = item.mark && item.mark.group;
      while (g) { x += g.x || 0; y += g.y || 0; g = g.mark && g.mark.group; }
      var origin = view.origin ? view.origin() : [0, 0], rect = svg.getBoundingClientRect();
      var event = new MouseEvent("mousemove", { clientX: rect.left + origin[0] + x, clientY: rect.top + origin[1] + y });
      var handler = view.tooltip();
      if (handler) { handler.call(view, view._handler, event, item, item.tooltip); }
      outline(origin[0] + x - (b.x1 + b.x2) / 2 + b.x1, origin[1] + y, b.x2 - b.x1, b.y2 - b.y1);
      if (live) { live.textContent = (index + 1) + "/" + items.length + "：" + tooltipText(item.tooltip); }
    }
    /* the mark the keyboard is on, outlined (the focus ring of the chart is the SVG's own) */
    var ring = null;
    function outline(x, y, w, h) {
      if (!ring) {
        ring = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        ring.setAttribute("class", "regen-focus-mark");
        ring.setAttribute("fill", "none");
        ring.setAttribute("pointer-events", "none");
        svg.appendChild(ring);
      }
      ring.setAttribute("x", String(x - 2)); ring.setAttribute("y", String(y - 2));
      ring.setAttribute("width", String(Math.max(2, w) + 4)); ring.setAttribute("height", String(Math.max(2, h) + 4));
      ring.style.display = "";
    }
    function hide() {
      if (ring) { ring.style.display = "none"; }
      var handler = view.tooltip();
      if (handler) { handler.call(view, view._handler, new MouseEvent("mouseout"), null, null); }
    }
    svg.addEventListener("keydown", function (e) {
      var keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
      if (e.key in keys) { show(index + keys[e.key]); e.preventDefault(); }
      else if (e.key === "Home") { show(0); e.preventDefault(); }
      else if (e.key === "End") { show(items.length - 1); e.preventDefault(); }
      else if (e.key === "Escape") { hide(); }
    });
    svg.addEventListener("blur", hide);
  }

  function start() {
    var charts = Array.prototype.slice.call(document.querySelectorAll(".regen-chart[data-spec]"));
    /* a chart is drawn when it comes within 200 px of the viewport */
    var near = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { near.unobserve(e.target); e.target._regenDraw(); }
      });
    }, { rootMargin: "200px 0px" }) : null;
    charts.forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-spec"));
      if (!source) { return; }
      var original = null, started = false;
      var lastBox = 0, lastDark = null, timer = null;
      function redraw() {
        if (!started) { return; }
        var box = el.clientWidth, isDark = dark();
        if (Math.abs(box - lastBox) < 24 && isDark === lastDark) { return; }
        lastBox = box; lastDark = isDark;
        el.setAttribute("data-regen-theme", isDark ? "dark" : "light");
        original = original || JSON.parse(source.textContent);
        draw(el, isDark ? darkened(original) : original).catch(function (e) { console.error(e); });
      }
      el._regenDraw = function () {
        vegaLoaded().then(function () { started = true; redraw(); }).catch(function (e) { console.error(e); });
      };
      if (near) { near.observe(el); } else { el._regenDraw(); }
      window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(redraw, 250); });
      /* the reader's light/dark switch redraws the chart in the new colours */
      new MutationObserver(redraw).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
