/* The desk's "post an update" form on a live article: Ctrl+Enter (⌘+Enter) anywhere in
   it, the body editor included, presses its default button (Publish for editors,
   Save as draft for reporters). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-live-post]");
  if (!form) {
    return;
  }
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("[data-live-default]");
    if (form.requestSubmit) {
      form.requestSubmit(button);
    } else {
      button.click();
    }
  });
})();
