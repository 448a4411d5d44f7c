/* Live coverage: ask articles:live_updates for updates published after the newest
   one the page shows, every data-poll-seconds (four times as slowly while the tab
   is hidden, and slower still after errors), and offer them with an "N new updates"
   button, announced politely; nothing moves under the reader until they press it.
   Without JavaScript the page shows everything and a reload brings new updates. */
(function () {
  "use strict";

  var live = document.querySelector(".live[data-updates-url]");
  if (!live || !window.fetch || !window.DOMParser) {
    return;
  }
  var button = live.querySelector(".live-new-button");
  var stream = live.querySelector(".live-stream");
  var url = live.getAttribute("data-updates-url");
  var since = live.getAttribute("data-since");
  var base = Math.max(1, parseInt(live.getAttribute("data-poll-seconds"), 10) || 20) * 1000;
  var ends = Date.parse(live.getAttribute("data-ends") || "");
  var MAX_DELAY = 5 * 60 * 1000;
  var failures = 0;
  var waiting = [];
  var timer = null;

  function delay() {
    var wait = base * (document.hidden ? 4 : 1) * Math.pow(2, failures);
    return Math.min(wait, MAX_DELAY);
  }

  function schedule(wait) {
    clearTimeout(timer);
    if (!isNaN(ends) && Date.now() > ends + base) {
      return; // coverage is over
    }
    timer = setTimeout(poll, wait === undefined ? delay() : wait);
  }

  function show() {
    if (!waiting.length) {
      button.hidden = true;
      button.textContent = "";
      return;
    }
    var count = waiting.reduce(function (total, batch) {
      return total + batch.count;
    }, 0);
    button.textContent = count === 1 ? "1 new update" : count + " new updates";
    button.hidden = false;
  }

  function poll() {
    fetch(url + "?since=" + encodeURIComponent(since), {
      credentials: "same-origin",
      cache: "no-cache", // revalidate: a 304 when nothing is new
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 400) {
          failures = 6; // the page is too old to follow: keep trying, rarely
          throw new Error("stale page");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (data.count > 0) {
          since = String(data.latest);
          waiting.unshift(data);
          show();
        }
        schedule();
      })
      .catch(function () {
        failures = Math.min(failures + 1, 6);
        schedule();
      });
  }

  function insert() {
    var parser = new DOMParser();
    var first = null;
    waiting.slice().reverse().forEach(function (batch) {
      var doc = parser.parseFromString("<div>" + batch.html + "</div>", "text/html");
      var nodes = Array.prototype.slice.call(doc.body.firstChild.children);
      nodes.reverse().forEach(function (node) {
        var old = document.getElementById(node.id);
        if (old) {
          old.parentNode.removeChild(old);
        }
        stream.insertBefore(document.adoptNode(node), stream.firstChild);
        first = node;
      });
    });
    waiting = [];
    show();
    var empty = live.querySelector(".live-empty");
    if (empty) {
      empty.parentNode.removeChild(empty);
    }
    if (first) {
      first.focus();
    }
  }

  button.addEventListener("click", insert);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      schedule(1000);
    }
  });
  schedule();
})();
