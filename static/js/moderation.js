/* Keyboard shortcuts for the moderation queue (the Comment change list).
   j/k move between comments, a/r/s press the current row's Approve, Reject or
   Spam button (an ordinary POST, the same as clicking it), x ticks the row for a
   bulk action, o opens the comment. */
(function () {
  "use strict";

  var STORE = "newsroom-queue-row";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
  }

  function current() {
    return document.querySelector("#result_list tbody tr.queue-current");
  }

  function select(row) {
    var old = current();
    if (old) {
      old.classList.remove("queue-current");
      old.removeAttribute("aria-current");
    }
    if (!row) {
      return;
    }
    row.classList.add("queue-current");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) {
      return;
    }
    var index = all.indexOf(current());
    index = index < 0 ? 0 : Math.min(Math.max(index + step, 0), all.length - 1);
    select(all[index]);
  }

  function press(key) {
    var row = current();
    var button = row && row.querySelector("button[data-key=" + key + "]");
    if (button) {
      try {
        window.sessionStorage.setItem(STORE, String(rows().indexOf(row)));
      } catch (error) {
        /* Storage may be off; the queue still works. */
      }
      button.click();
    }
  }

  function ready() {
    var all = rows();
    if (!all.length || !document.getElementById("queue-keys")) {
      return;
    }
    var start = 0;
    try {
      start = parseInt(window.sessionStorage.getItem(STORE) || "0", 10) || 0;
      window.sessionStorage.removeItem(STORE);
    } catch (error) {
      start = 0;
    }
    select(all[Math.min(start, all.length - 1)]);

    all.forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (!event.target.closest("a, button, input, summary")) {
          select(row);
        }
      });
    });

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      var target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
        return;
      }
      var key = event.key;
      if (key === "j") {
        move(1);
      } else if (key === "k") {
        move(-1);
      } else if (key === "a" || key === "r" || key === "s") {
        press(key);
      } else if (key === "x") {
        var box = current() && current().querySelector("input.action-select");
        if (box) {
          box.click();
        }
      } else if (key === "o") {
        var link = current() && current().querySelector("a.queue-id");
        if (link) {
          window.location.href = link.href;
        }
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
