/* Live coverage: ask articles:live_updates for updates published after the newest
   one the page shows, every data-poll-seconds (four times as slowly while the tab
   is hidden), and offer them with an "N new updates" button, announced politely;
   nothing moves under the reader until they press it. After an error the wait
   doubles with each failure in a row (up to 64 times, and never over five minutes),
   a little shorter at random so that readers whose polls failed together (an outage)
   do not all come back at once; the first answer brings the usual pace back.
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
  var MAX_FAILURES = 6;
  var failures = 0;
  var waiting = [];
  var timer = null;

  function delay() {
    var wait = base * (document.hidden ? 4 : 1);
    if (failures) {
      wait = Math.min(wait * Math.pow(2, failures), MAX_DELAY);
      wait *= 0.75 + Math.random() * 0.25;
    }
    return wait;
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

  /* The update the page counts from is gone (deleted, not withdrawn: the server
     no longer knows its time). Count from the newest other update the page shows
     instead, as if the page had been loaded now, and ask again at once: what was
     waiting behind the button comes back in that answer, less what was deleted.
     False when the page shows no update it has not tried. */
  var gone = {};
  function countFromAnother() {
    gone[since] = true;
    var best = null;
    var bestTime = -Infinity;
    Array.prototype.forEach.call(live.querySelectorAll("article.live-update[id^='update-']"), function (node) {
      var id = node.id.slice("update-".length);
      var time = node.querySelector("time[datetime]");
      var at = time ? Date.parse(time.getAttribute("datetime")) : NaN;
      if (gone[id] || !/^[0-9]+$/.test(id) || isNaN(at)) {
        return;
      }
      if (at > bestTime || (at === bestTime && Number(id) > Number(best))) {
        best = id;
        bestTime = at;
      }
    });
    if (best === null) {
      return false;
    }
    since = best;
    waiting = [];
    show();
    return true;
  }

  var polling = false;

  function poll() {
    if (polling) {
      return; // the answer on its way schedules the next poll
    }
    polling = true;
    fetch(url + "?since=" + encodeURIComponent(since), {
      credentials: "same-origin",
      cache: "no-cache", // revalidate: a 304 when nothing is new
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 400) {
          if (countFromAnother()) {
            return { count: 0, again: true };
          }
          failures = MAX_FAILURES; // the page is too old to follow: keep trying, rarely
          throw new Error("stale page");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        polling = false;
        failures = 0;
        if (data.again) {
          schedule(0);
          return;
        }
        if (data.count > 0) {
          since = String(data.latest);
          waiting.unshift(data);
          show();
        }
        schedule();
      })
      .catch(function () {
        polling = false;
        failures = Math.min(failures + 1, MAX_FAILURES);
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
      // Back in view: soon, unless the server is failing (then at the backed-off pace).
      schedule(failures ? delay() : 1000);
    }
  });
  schedule();
})();
