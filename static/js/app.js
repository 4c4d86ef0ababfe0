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
  // A plain form is sent once: a second tap while a slow page loads would send it again.
  // (HTMX forms are guarded by htmx itself, which drops a request while one is in flight.)
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.getAttribute("method") !== "post" || form.hasAttribute("hx-post")) { return; }
    if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
  });
  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) { sent[i].removeAttribute("data-sent"); }
  });
})();
