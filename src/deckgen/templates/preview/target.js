(function () {
  "use strict";
  function mark() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    Array.prototype.forEach.call(document.querySelectorAll("mark[data-spans]"), function (m) {
      var on = id !== "" && (" " + m.getAttribute("data-spans") + " ").indexOf(" " + id + " ") >= 0;
      m.classList.toggle("pv-current", on);
    });
  }
  window.addEventListener("hashchange", mark);
  mark();
})();
