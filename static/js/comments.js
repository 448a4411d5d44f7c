/* Comments under an article. The article page is cached and carries no CSRF
   token, so the form (with its token) is fetched from comments:form when the
   reader scrolls near it. Without JavaScript the "Write a comment" link opens
   the same form on its own page. */
(function () {
  "use strict";

  var slot = document.getElementById("comment-form-slot");
  if (!slot || !window.fetch) {
    return;
  }
  var formUrl = slot.getAttribute("data-form-url");
  var loaded = false;
  var HEADERS = { "X-Requested-With": "fetch" };

  function request(url, options) {
    options = options || {};
    options.headers = HEADERS;
    options.credentials = "same-origin";
    options.cache = "no-store";
    return fetch(url, options).then(function (response) {
      return response.text();
    });
  }

  function setParent(id, name) {
    var input = slot.querySelector("input[name=parent]");
    var note = slot.querySelector(".comment-replying");
    if (!input || !note) {
      return;
    }
    input.value = id || "";
    note.hidden = !id;
    var label = note.querySelector("[data-replying-name]");
    if (label) {
      label.textContent = name || "";
    }
  }

  function focusBody() {
    var body = slot.querySelector("textarea[name=body]");
    if (body) {
      body.focus();
    }
  }

  function show(html) {
    slot.innerHTML = html;
    loaded = true;
    var form = slot.querySelector("form.comment-form");
    if (form) {
      form.addEventListener("submit", submit);
    }
    var message = slot.querySelector("[role=alert], [role=status]");
    if (message) {
      message.setAttribute("tabindex", "-1");
    }
  }

  /* One request for the form, however many things ask for it: the form is
     fetched when the reader scrolls near it, and a click on Reply while that
     request is on its way waits for it rather than fetching a second form,
     which could arrive last and replace the reply the reader just chose. */
  var pending = null;

  function load(then) {
    if (!pending) {
      var mine = (pending = request(formUrl).then(show));
      mine.catch(function () {
        /* Keep the plain link: it still works; a later click tries again. */
        if (pending === mine) {
          pending = null;
        }
      });
    }
    pending.then(function () {
      if (then) {
        then();
      }
    }, function () {});
  }

  function submit(event) {
    var form = event.target;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = "Posting…";
    }
    request(form.action, { method: "POST", body: new FormData(form) })
      .then(function (html) {
        /* What the server sent back replaces the form: the next Reply or
           "Write a comment" fetches a fresh one. */
        pending = null;
        show(html);
        var message = slot.querySelector("[role=alert], [role=status]");
        if (message) {
          message.focus();
        }
      })
      .catch(function () {
        form.removeEventListener("submit", submit);
        form.submit();
      });
  }

  function openFlag(link) {
    var comment = link.closest(".comment");
    var box = comment && comment.querySelector(".comment-flag-slot");
    if (!comment) {
      return;
    }
    if (box) {
      box.remove();
      return;
    }
    box = document.createElement("div");
    box.className = "comment-flag-slot";
    comment.appendChild(box);
    request(link.getAttribute("data-flag-url")).then(function (html) {
      box.innerHTML = html;
      var quote = box.querySelector(".comment-quote");
      if (quote) {
        quote.remove();
      }
      var form = box.querySelector("form");
      if (form) {
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          request(form.action, { method: "POST", body: new FormData(form) }).then(function (reply) {
            box.innerHTML = reply;
          });
        });
      }
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var reply = target.closest("[data-reply-to]");
    if (reply) {
      event.preventDefault();
      var id = reply.getAttribute("data-reply-to");
      var name = reply.getAttribute("data-reply-name");
      var go = function () {
        setParent(id, name);
        slot.scrollIntoView({ block: "center" });
        focusBody();
      };
      if (loaded && slot.querySelector("form.comment-form")) {
        go();
      } else {
        load(go);
      }
      return;
    }
    if (target.closest("[data-cancel-reply]")) {
      event.preventDefault();
      setParent("", "");
      return;
    }
    if (target.closest("[data-new-comment]")) {
      event.preventDefault();
      load(focusBody);
      return;
    }
    var flag = target.closest("[data-flag-url]");
    if (flag) {
      event.preventDefault();
      openFlag(flag);
    }
  });

  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        observer.disconnect();
        if (!loaded) {
          load();
        }
      }
    }, { rootMargin: "600px 0px" });
    observer.observe(slot);
  } else {
    load();
  }
})();
