// Saved replies on the ticket page: choosing one fills the message form with its text (filled in
// for this ticket by the server) and remembers which reply it was, so its action goes with it.
// Without JavaScript the "Use this reply" button asks the server for the same, pre-filled page.
// Listens on the document: the live updates replace the ticket's fragment, listeners and all.
(function () {
  "use strict";
  var inserted = "";  // the text the last choice put in, to tell it from what the user typed

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select || select.id !== "saved-reply") return;
    var form = document.getElementById("message-form");
    if (!form) return;
    var body = form.querySelector("textarea[name=body]");
    var chosen = form.querySelector("input[name=saved_reply]");
    var status = document.getElementById("saved-reply-status");
    var option = select.options[select.selectedIndex];
    if (!option || !option.value) {
      chosen.value = "";
      if (status) status.textContent = "";
      return;
    }
    var text = option.getAttribute("data-body") || "";
    var typed = body.value.trim() !== "" && body.value !== inserted;
    // Never throw typed text away: the reply goes after it.
    body.value = typed ? body.value.replace(/\s+$/, "") + "\n\n" + text : text;
    inserted = body.value;
    chosen.value = option.value;
    if (status) status.textContent = option.getAttribute("data-status") || "";
    body.focus();
  });

  // With JavaScript the choice fills the form at once; the button is for pages without it.
  var button = document.getElementById("saved-reply-use");
  if (button) button.hidden = true;
})();
