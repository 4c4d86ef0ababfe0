// Enhancements only: every page works without this file.
(function () {
  "use strict";
  // Quick exit: leave for a harmless site and replace this page in the history, so Back does not return.
  var exit = document.getElementById("quick-exit");
  if (exit) {
    exit.addEventListener("click", function (e) {
      e.preventDefault();
      document.body.style.display = "none";
      window.location.replace(exit.href);
    });
  }
  // Focus the error summary of a form answered with errors (full page or HTMX swap).
  function focusErrors(root) {
    var box = (root || document).querySelector(".errors");
    if (box) { box.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (e) { focusErrors(e.detail.target.parentNode || document); });
})();
