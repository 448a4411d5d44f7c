// Mentions in desk notes: typing "@" and the start of a name offers the people the note
// can tell (the panel's own "Who can be mentioned" list, so nothing is fetched), in a
// list under the note's box: the arrow keys move through it, Enter or Tab writes
// "@username ", Escape closes it and leaves the text as typed. Without the script the list is
// there to read and a mention is written by hand; the server finds mentions either way.
// Loaded as a file (no inline script: strict CSP).
;(() => {
  // An "@" not preceded by a word character (so an e-mail address is no mention, as on
  // the server: articles.models.desk.MENTION), then what is typed of the name, up to the caret.
  const TYPED_MENTION = /(?:^|[^\w@.+-])@([\w.@+-]*)$/
  const SHOWN = 8

  function setUp(textarea, people) {
    const listbox = document.createElement("ul")
    listbox.id = `${textarea.id}-mentions`
    listbox.className = "desk-mention-list"
    listbox.setAttribute("role", "listbox")
    listbox.setAttribute("aria-label", "People to mention")
    listbox.hidden = true
    const status = document.createElement("p")
    status.className = "visually-hidden"
    status.setAttribute("role", "status")
    textarea.after(listbox, status)
    // A textarea keeps its own role (ARIA in HTML allows it no other): it says that it
    // completes from a list, which it controls, and which option is active; the status
    // line tells a screen reader what is offered.
    textarea.setAttribute("aria-autocomplete", "list")
    textarea.setAttribute("aria-controls", listbox.id)

    let matches = []
    let active = -1
    let start = -1 // where the "@" being completed is in the text

    function typed() {
      if (textarea.selectionStart !== textarea.selectionEnd) return null
      const before = textarea.value.slice(0, textarea.selectionStart)
      const found = TYPED_MENTION.exec(before)
      if (!found) return null
      return { query: found[1], at: before.length - found[1].length - 1 }
    }

    function close() {
      matches = []
      active = -1
      listbox.hidden = true
      listbox.replaceChildren()
      textarea.removeAttribute("aria-activedescendant")
    }

    function show(index) {
      active = index
      listbox.querySelectorAll("[role=option]").forEach((option, i) => {
        option.setAttribute("aria-selected", String(i === active))
        if (i === active) {
          textarea.setAttribute("aria-activedescendant", option.id)
          option.scrollIntoView({ block: "nearest" })
        }
      })
    }

    function update() {
      const mention = typed()
      if (!mention) {
        status.textContent = ""
        close()
        return
      }
      start = mention.at
      const q = mention.query.toLowerCase()
      matches = people
        .filter((person) => person.words.some((word) => word.startsWith(q)))
        .slice(0, SHOWN)
      if (!matches.length) {
        close()
        status.textContent = `Nobody on the desk is called @${mention.query}.`
        return
      }
      listbox.replaceChildren(
        ...matches.map((person, i) => {
          const option = document.createElement("li")
          option.id = `${listbox.id}-${i}`
          option.setAttribute("role", "option")
          const handle = document.createElement("span")
          handle.className = "desk-mention-handle"
          handle.textContent = `@${person.username}`
          option.append(handle)
          if (person.name) option.append(` ${person.name}`)
          // Pressing on an option keeps the focus (and the caret) in the note.
          option.addEventListener("mousedown", (event) => event.preventDefault())
          option.addEventListener("click", () => choose(i))
          return option
        }),
      )
      listbox.hidden = false
      show(0)
      const count = matches.length === 1 ? "1 person" : `${matches.length} people`
      status.textContent = `${count} to mention: up and down to choose, Enter to write it.`
    }

    function choose(index) {
      const person = matches[index]
      if (!person) return
      const end = textarea.selectionStart
      const before = `${textarea.value.slice(0, start)}@${person.username} `
      textarea.value = before + textarea.value.slice(end).replace(/^ /, "")
      textarea.setSelectionRange(before.length, before.length)
      close()
      status.textContent = `@${person.username} written.`
      textarea.focus()
    }

    textarea.addEventListener("input", update)
    textarea.addEventListener("click", update)
    textarea.addEventListener("blur", close)
    textarea.addEventListener("keydown", (event) => {
      if (listbox.hidden || event.altKey || event.ctrlKey || event.metaKey) return
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const step = event.key === "ArrowDown" ? 1 : -1
        show((active + step + matches.length) % matches.length)
      } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
        choose(active)
      } else if (event.key === "Escape") {
        close()
        status.textContent = ""
      } else {
        return
      }
      event.preventDefault()
      event.stopPropagation()
    })
  }

  function start() {
    const textarea = document.querySelector(".desk-note-form textarea")
    const listed = document.querySelectorAll(".desk-notes-people [data-mention]")
    const people = Array.from(listed, (item) => {
      const username = item.dataset.mention
      const name = item.dataset.name || ""
      // What a typed name is matched against, made once: the username and each word
      // of the full name, in lower case.
      const words = [username, ...name.split(/\s+/)].filter(Boolean).map((w) => w.toLowerCase())
      return { username, name, words }
    })
    if (textarea && people.length) setUp(textarea, people)
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start)
  } else {
    start()
  }
})()
