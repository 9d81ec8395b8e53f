(function () {
  "use strict";
  var form = document.getElementById("pv-filters");
  var seed = document.getElementById("f-seed");
  var level = document.getElementById("f-level");
  var tag = document.getElementById("f-tag");
  var status = document.getElementById("pv-status");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".pv-card"));
  var decks = Array.prototype.slice.call(document.querySelectorAll(".pv-deck"));
  function has(list, item) { return (" " + list + " ").indexOf(" " + item + " ") >= 0; }
  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var ok = (!seed.value || card.getAttribute("data-seed") === seed.value) &&
        (!level.value || card.getAttribute("data-level") === level.value) &&
        (!tag.value || has(card.getAttribute("data-tags"), tag.value));
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    decks.forEach(function (deck) {
      var n = deck.querySelectorAll(".pv-card:not([hidden])").length;
      deck.hidden = n === 0;
      deck.querySelector(".pv-deck-count").textContent = "(" + n + ")";
    });
    status.textContent = "Showing " + shown + " of " + cards.length + " cards";
  }
  var query = new URLSearchParams(window.location.search);
  [["seed", seed], ["level", level], ["tag", tag]].forEach(function (pair) {
    var value = query.get(pair[0]);
    if (value && pair[1].querySelector('option[value="' + CSS.escape(value) + '"]')) {
      pair[1].value = value;
    }
  });
  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
