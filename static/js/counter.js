// Counters under the text fields that have a limit (helpdesk/lib/inputs.py LimitedTextField):
// "120 of 5000 characters", and past the limit how many too many. The field is never cut short
// (no maxlength), so a long paste stays whole and the person chooses what to remove. The words
// come from the field's data attributes (translated on the server); no inline script.
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  function attach(field) {
    var max = parseInt(field.dataset.maxLength, 10);
    if (!max || field.dataset.counterReady) return;
    field.dataset.counterReady = "1";
    var counter = document.createElement("span");
    counter.className = "counter";
    counter.id = (field.id || field.name) + "_counter";
    field.insertAdjacentElement("afterend", counter);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);

    function update() {
      var count = field.value.length;
      var over = count - max;
      counter.textContent = fill(over > 0 ? field.dataset.counterOver : field.dataset.counterText,
        { count: count, max: max, over: over });
      counter.classList.toggle("over", over > 0);
    }
    field.addEventListener("input", update);
    update();
  }

  function attachAll(root) {
    var fields = root.querySelectorAll("[data-max-length]");
    for (var i = 0; i < fields.length; i++) attach(fields[i]);
  }

  attachAll(document);
  // The ticket page swaps its live region in place (live.js): counters for the new fields.
  var region = document.getElementById("live-region");
  if (region && window.MutationObserver) {
    new MutationObserver(function () { attachAll(region); }).observe(region, { childList: true });
  }
})();
