// The course website's small behaviours on top of sphinx-book-theme (loaded on every page).
(function () {
  "use strict";

  // 1. The menu (☰) and contents buttons on a phone or tablet. pydata-sphinx-theme binds its dialog to
  //    the first `.primary-toggle` / `.secondary-toggle` of the page, a button of its own header that
  //    sphinx-book-theme hides; the visible buttons are later ones. Each visible one clicks the first.
  function forwardSidebarToggles() {
    ["primary", "secondary"].forEach(function (side) {
      var buttons = document.querySelectorAll("." + side + "-toggle");
      for (var i = 1; i < buttons.length; i++) {
        buttons[i].addEventListener("click", function (event) {
          event.preventDefault();
          event.stopPropagation();
          buttons[0].click();
        });
      }
    });
  }

  // 2. An equation wider than its column scrolls inside its own box instead of being clipped or
  //    widening the page (display equations always may; an inline one only when it does not fit).
  function boxWideMath() {
    document.querySelectorAll("mjx-container").forEach(function (math) {
      math.classList.remove("site-wide-math");
      var room = math.parentElement ? math.parentElement.clientWidth : 0;
      if (room > 0 && math.scrollWidth > room + 1) math.classList.add("site-wide-math");
    });
  }
  function watchMath() {
    if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return;
    MathJax.startup.promise.then(function () {
      boxWideMath();
      var pending = null;
      window.addEventListener("resize", function () {
        clearTimeout(pending);
        pending = setTimeout(boxWideMath, 200);
      });
    });
  }

  // 3. Search. Opened from disk (file://) the browser refuses to read the pages a result quotes: say
  //    so in one line instead of failing. Served over HTTP, each result links to the section of the
  //    page where the words are, and quotes that section.
  function section(html, words) {
    var main = new DOMParser().parseFromString(html, "text/html").querySelector('[role="main"]');
    if (!main) return null;
    var hits = Array.prototype.filter.call(main.querySelectorAll("section[id]"), function (s) {
      var text = s.textContent.toLowerCase();
      return words.some(function (w) { return text.indexOf(w) > -1; });
    });
    var leaf = hits.filter(function (s) {
      return !hits.some(function (other) { return other !== s && s.contains(other); });
    })[0];
    return leaf ? leaf.id : null;
  }
  function adaptSearch() {
    if (typeof Search === "undefined" || !document.getElementById("search-results")) return;
    if (window.location.protocol === "file:") {
      Search.performSearch = function () {
        var line = document.createElement("p");
        line.className = "site-search-offline";
        line.textContent = "Search needs the local server: run `python -m http.server -d build/site` " +
          "and open http://localhost:8000/search.html (the pages themselves work from disk).";
        document.getElementById("search-results").appendChild(line);
      };
      return;
    }
    var summary = Search.makeSearchSummary;
    Search.makeSearchSummary = function (html, terms, anchor) {
      var words = Array.from(terms).map(function (w) { return String(w).toLowerCase(); });
      var id = anchor ? null : section(html, words);
      var quoted = summary(html, terms, id ? "#" + CSS.escape(id) : anchor) || summary(html, terms, anchor);
      if (id && quoted) {
        Promise.resolve().then(function () {  // the caller appends the summary to its result, then this
          var link = quoted.parentElement && quoted.parentElement.querySelector("a");
          if (link) link.setAttribute("href", link.getAttribute("href").split("#")[0] + "#" + id);
        });
      }
      return quoted;
    };
  }

  function start() {
    forwardSidebarToggles();
    watchMath();
    adaptSearch();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
