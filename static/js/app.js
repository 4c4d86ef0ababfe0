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
  // A plain form is sent once: a second tap while a slow page loads would send it again. Its button shows
  // that the tap was taken (busy, as an HTMX request's does) until the next page comes; a button-like link
  // too. The button is not disabled: a disabled button's name and value would not be sent.
  // (HTMX forms are guarded by htmx itself, which drops a request while one is in flight.)
  function markBusy(elt) {
    if (elt) { elt.classList.add("busy"); elt.setAttribute("aria-disabled", "true"); }
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) { return; }
    if ((form.getAttribute("method") || "").toLowerCase() === "post") {
      if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
    }
    markBusy(e.submitter || form.querySelector("button"));
    form.setAttribute("aria-busy", "true");
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.button");
    if (!link || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) { return; }
    if (link.hasAttribute("download") || link.target === "_blank" || link.hasAttribute("hx-get")) { return; }
    markBusy(link);
  });
  // A tap that always answers (issue 16). While an HTMX request is under way its button shows that it is
  // busy (and is disabled: htmx's hx-disabled-elt, or here) and the region it will change says aria-busy.
  // When the answer is one that is not swapped (403, 404, 409, 5xx), or none comes (no network, the
  // timeout), she is told in her language what happened and whether anything was saved, what she typed
  // stays, and "Try again" sends the same request again. The words are in the page (#tap-words), in her
  // language: with no network, nothing more can be fetched.
  var words = document.getElementById("tap-words");
  function say(key) { return (words && words.getAttribute("data-" + key)) || ""; }
  function anchorOf(elt) { return (elt.closest && elt.closest("form")) || elt; }
  function clearNote(anchor) {
    var prev = anchor.previousElementSibling;
    if (prev && prev.classList.contains("tap-error")) { prev.parentNode.removeChild(prev); }
  }
  function busyButtons(elt, e) {
    var form = anchorOf(elt), ev = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var submitter = ev && ev.submitter;
    if (submitter) { return [submitter]; }
    return elt.tagName === "BUTTON" ? [elt] : Array.prototype.slice.call(form.querySelectorAll("button"));
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt, target = e.detail.target;
    clearNote(anchorOf(elt));
    busyButtons(elt, e).forEach(function (b) {
      b.classList.add("busy");
      if (!b.disabled) { b.disabled = true; b.setAttribute("data-tap-off", "1"); }
    });
    if (target) { target.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = anchorOf(e.detail.elt), target = e.detail.target;
    Array.prototype.forEach.call(form.querySelectorAll(".busy"), function (b) { b.classList.remove("busy"); });
    Array.prototype.forEach.call(form.querySelectorAll("[data-tap-off]"), function (b) {
      b.disabled = false; b.removeAttribute("data-tap-off");
    });
    if (e.detail.elt.classList) { e.detail.elt.classList.remove("busy"); }
    if (target) { target.removeAttribute("aria-busy"); }
  });
  function tell(e, key) {
    var elt = e.detail.elt, anchor = anchorOf(elt);
    var ev = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var again = (ev && ev.type) || (anchor.tagName === "FORM" ? "submit" : "click");
    clearNote(anchor);
    var box = document.createElement("div");
    box.className = "tap-error";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = say(key) || say("other");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = say("again");
    button.addEventListener("click", function () {
      clearNote(anchor);
      htmx.trigger(elt, again);
    });
    box.appendChild(p);
    box.appendChild(button);
    anchor.parentNode.insertBefore(box, anchor);
  }
  var BY_STATUS = {403: "forbidden", 404: "gone", 409: "changed", 500: "broken", 502: "down", 503: "down", 504: "down"};
  document.addEventListener("htmx:responseError", function (e) {
    tell(e, BY_STATUS[e.detail.xhr.status] || "other");
  });
  document.addEventListener("htmx:sendError", function (e) { tell(e, "offline"); });
  document.addEventListener("htmx:timeout", function (e) { tell(e, "timeout"); });
  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent], form[aria-busy]");
    for (var i = 0; i < sent.length; i++) { sent[i].removeAttribute("data-sent"); sent[i].removeAttribute("aria-busy"); }
    var busy = document.querySelectorAll(".busy[aria-disabled]");
    for (var j = 0; j < busy.length; j++) { busy[j].classList.remove("busy"); busy[j].removeAttribute("aria-disabled"); }
  });
})();
