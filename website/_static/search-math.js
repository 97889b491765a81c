// The search page quotes each hit's text, equations as TeX sources ("\(p(z)\)"): typeset them with the
// bundled MathJax (the same _static/mathjax as every page) when results arrive. Other pages: nothing.
(function () {
  "use strict";
  var results = null;
  function typeset() {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.typesetPromise([results]).catch(function () {});
    }
  }
  function start() {
    results = document.getElementById("search-results");
    if (!results) return;
    window.MathJax = {tex: {inlineMath: [["\\(", "\\)"]]}, startup: {typeset: false}};
    var script = document.createElement("script");
    script.src = document.documentElement.dataset.content_root + "_static/mathjax/tex-chtml.js";
    script.onload = function () {
      MathJax.startup.promise.then(function () {
        var pending = null;
        new MutationObserver(function () {
          clearTimeout(pending);
          pending = setTimeout(typeset, 300);  // results arrive one by one
        }).observe(results, {childList: true, subtree: true});
        typeset();
      });
    };
    document.head.appendChild(script);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
