/* Keyboard shortcuts for the moderation queue (the Comment change list).

   Every shortcut acts on the row that has keyboard focus, never on a row that
   only looks highlighted: j/k move focus to the next/previous comment; a/r/s press
   that row's Approve, Reject or Spam button (an ordinary POST, the same as
   clicking it); b opens its Ban confirmation; x ticks it for a bulk action; o
   opens the comment. The shortcuts can be turned off (WCAG 2.1.4), and the choice
   is remembered in this browser.

   A decision reloads the queue (POST, then a redirect to #queue-comment-<next id>,
   which also serves a browser without JavaScript). Focus then goes to the next
   comment's row (after a bulk action or a ban, to the row where the first decided
   comment was), and the confirmation is announced through the status region. */
(function () {
  "use strict";

  var AFTER_DECISION = "newsroom-queue-after-decision";
  var KEYS_OFF = "newsroom-queue-keys-off";
  var BUTTON_KEYS = { a: "approve", r: "reject", s: "spam" };

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
  }

  function focusedRow() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("#result_list tbody tr") : null;
  }

  function focusRow(row) {
    if (row) {
      row.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var all = rows();
    if (!all.length) {
      return;
    }
    var index = all.indexOf(focusedRow());
    index = index < 0 ? 0 : Math.min(Math.max(index + step, 0), all.length - 1);
    focusRow(all[index]);
  }

  function remember(row) {
    try {
      window.sessionStorage.setItem(AFTER_DECISION, String(rows().indexOf(row)));
    } catch (error) {
      /* Storage may be off; the queue still works, focus just starts at the top. */
    }
  }

  function storage(get, key, value) {
    try {
      if (get) {
        return window.localStorage.getItem(key);
      }
      if (value === null) {
        window.localStorage.removeItem(key);
      } else {
        window.localStorage.setItem(key, value);
      }
    } catch (error) {
      /* Storage may be off: the shortcuts stay on for this page. */
    }
    return null;
  }

  function keysOn() {
    var toggle = document.getElementById("queue-keys-toggle");
    return !!toggle && toggle.checked;
  }

  function typingIn(target) {
    if (!target.closest) {
      return false;
    }
    if (target.closest("textarea, select, [contenteditable]")) {
      return true;
    }
    var input = target.closest("input");
    return !!input && ["checkbox", "radio", "button", "submit"].indexOf(input.type) < 0;
  }

  function onKey(event) {
    if (!keysOn() || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "j") {
      move(1);
    } else if (key === "k") {
      move(-1);
    } else {
      var row = focusedRow();
      if (!row) {
        return;
      }
      var target = null;
      if (BUTTON_KEYS[key]) {
        target = row.querySelector("button[value=" + BUTTON_KEYS[key] + "]");
      } else if (key === "b") {
        target = row.querySelector("a.queue-ban");
      } else if (key === "x") {
        target = row.querySelector("input.action-select");
      } else if (key === "o") {
        target = row.querySelector("a.queue-id");
      }
      if (!target) {
        return;
      }
      target.click();
    }
    event.preventDefault();
  }

  function announce(region) {
    // The server rendered the confirmation inside the status region; it is taken
    // out and put back a moment after load, so that screen readers notice the change.
    if (!region || !region.textContent.trim()) {
      return;
    }
    var content = Array.prototype.slice.call(region.childNodes);
    content.forEach(function (node) {
      region.removeChild(node);
    });
    window.setTimeout(function () {
      content.forEach(function (node) {
        region.appendChild(node);
      });
    }, 300);
  }

  function hashItem() {
    // The server names the next comment in the address (#queue-comment-<id>).
    var match = /^#(queue-comment-\d+)$/.exec(window.location.hash);
    var item = match ? document.getElementById(match[1]) : null;
    return item && item.closest("#result_list tbody tr") ? item : null;
  }

  function afterDecision() {
    var index = null;
    try {
      index = window.sessionStorage.getItem(AFTER_DECISION);
      window.sessionStorage.removeItem(AFTER_DECISION);
    } catch (error) {
      index = null;
    }
    // The comment named in the address is focusable (tabindex=-1), so the browser
    // focuses it too, with or without this script: focus stays inside its row.
    var item = hashItem();
    if (index === null && !item) {
      return;
    }
    var all = rows();
    if (item) {
      focusRow(item);
    } else if (all.length) {
      focusRow(all[Math.min(parseInt(index, 10) || 0, all.length - 1)]);
    } else {
      var heading = document.querySelector("#content h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  }

  function ready() {
    // Whatever brought a confirmation here (a row's button, a bulk action, a ban, the
    // change page's buttons), it is read out.
    announce(document.getElementById("queue-announcer"));
    var all = rows();
    var toggle = document.getElementById("queue-keys-toggle");
    if (!all.length && !toggle) {
      return;
    }
    all.forEach(function (row) {
      row.setAttribute("tabindex", "-1");
    });
    // Remember where a decision was taken, however it was taken (key, click, Enter),
    // including a ban, which comes back here after its confirmation page.
    document.addEventListener("click", function (event) {
      var control = event.target.closest && event.target.closest(".queue-actions button, .queue-actions a.queue-ban");
      var row = control && control.closest("#result_list tbody tr");
      if (row) {
        remember(row);
      }
    });
    // A bulk action: focus comes back to the first row that was selected.
    var form = document.getElementById("changelist-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        var first = form.querySelector("#result_list tbody input.action-select:checked");
        if (submitter && submitter.name === "index" && first) {
          remember(first.closest("#result_list tbody tr"));
        }
      });
    }
    if (toggle) {
      document.getElementById("queue-keys").hidden = false;
      toggle.checked = storage(true, KEYS_OFF) !== "1";
      toggle.addEventListener("change", function () {
        storage(false, KEYS_OFF, toggle.checked ? null : "1");
      });
      document.addEventListener("keydown", onKey);
    }
    afterDecision();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
