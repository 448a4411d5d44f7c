// The article form's autosave. What the writer types is kept in this browser at once
// (localStorage: a crash or a dropped network loses nothing) and sent to the server's
// autosave every few seconds when it changed. Reopening the story with a newer kept
// text than the saved one offers it back, with a word diff built as text nodes (never
// as HTML). Leaving with unsaved changes asks first. The server's settings come from
// templates/admin/articles/article/autosave.html (no inline script: strict CSP).
;(() => {
  const SEND_EVERY = 5000
  const KEEP_DAYS = 30
  const PREFIX = "newsroom-autosave:"
  const SUBMITTED = "newsroom-autosave-submitted"
  // Compared word by word; other fields are shown as before → after.
  const PROSE = new Set(["headline", "standfirst", "body", "seo_title", "seo_description"])
  let editor = null

  document.addEventListener("prose-editor:ready", (event) => {
    if (event.detail.textarea.name === "body") editor = event.detail.editor
  })

  // -- The browser's copy --------------------------------------------------------

  function readLocal(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null")
    } catch {
      return null
    }
  }

  function writeLocal(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value))
      return true
    } catch {
      return false // full, or storage turned off: the server's copy remains
    }
  }

  function removeLocal(key) {
    try {
      window.localStorage.removeItem(key)
    } catch {}
  }

  function prune() {
    const oldest = Date.now() - KEEP_DAYS * 86400 * 1000
    try {
      for (const key of Object.keys(window.localStorage)) {
        if (!key.startsWith(PREFIX)) continue
        const kept = readLocal(key)
        if (!kept || !(Date.parse(kept.saved_at) > oldest)) removeLocal(key)
      }
    } catch {}
  }

  // A successful save spends the browser's copy: the submit leaves a note, and the page
  // after it (the list, or the form again without errors) removes the copy.
  function settleSubmitted(box) {
    let note = null
    try {
      note = JSON.parse(window.sessionStorage.getItem(SUBMITTED) || "null")
      window.sessionStorage.removeItem(SUBMITTED)
    } catch {}
    if (!note || Date.now() - note.at > 120_000) return
    const failed = box && box.dataset.autosaveKey === note.key && document.querySelector(".errornote")
    if (!failed) removeLocal(note.key)
  }

  // -- The form --------------------------------------------------------------------

  function kept(names, name) {
    return names.has(name) || names.has(name.replace(/_[01]$/, "")) // split date and time
  }

  function collect(form, names) {
    const data = {}
    for (const element of form.elements) {
      const { name, type } = element
      if (!name || element.disabled || !kept(names, name)) continue
      if (["file", "submit", "button", "reset"].includes(type)) continue
      if (type === "checkbox") data[name] = element.checked
      else if (type === "radio") {
        if (element.checked) data[name] = element.value
      } else if (element.tagName === "SELECT" && element.multiple) {
        data[name] = [...element.selectedOptions].map((option) => option.value)
      } else data[name] = element.value
    }
    return data
  }

  function elementsNamed(form, name) {
    return [...form.elements].filter((element) => element.name === name)
  }

  function apply(form, data) {
    for (const [name, value] of Object.entries(data)) {
      for (const element of elementsNamed(form, name)) {
        if (element.type === "checkbox") element.checked = Boolean(value)
        else if (element.type === "radio") element.checked = element.value === value
        else if (element.tagName === "SELECT") {
          const wanted = new Set([].concat(value ?? []).map(String))
          // An option the page does not have (an autocomplete's) is left as it is.
          if (![...element.options].some((option) => wanted.has(option.value))) continue
          for (const option of element.options) option.selected = wanted.has(option.value)
        } else if (name === "body" && editor) {
          editor.commands.setContent(value || "")
          element.value = value || ""
        } else element.value = value ?? ""
        element.dispatchEvent(new Event("input", { bubbles: true }))
        element.dispatchEvent(new Event("change", { bubbles: true }))
      }
    }
  }

  // -- The diff ------------------------------------------------------------------

  // The body as plain paragraphs, as the revision compare shows it (articles/revisions.py
  // body_text): headings keep their level and links their address.
  function bodyText(html) {
    const marked = (html || "")
      .replace(/<h([1-6])\b[^>]*>/gi, (_m, level) => `\n${"#".repeat(Number(level))} `)
      .replace(/<a\b[^>]*?\bhref="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, "$2 [$1]")
      .replace(/<\/(p|h[1-6]|li|blockquote)>|<br\s*\/?>|<hr\s*\/?>/gi, "\n")
    // A parsed document is inert: nothing in it loads or runs.
    const text = new DOMParser().parseFromString(marked, "text/html").body.textContent || ""
    return text
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .join("\n")
  }

  function words(text) {
    return (text || "").split(/(\s+)/).filter((token) => token !== "")
  }

  function wordDiff(before, after) {
    const a = words(before)
    const b = words(after)
    let start = 0
    while (start < a.length && start < b.length && a[start] === b[start]) start++
    let endA = a.length
    let endB = b.length
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
      endA--
      endB--
    }
    const chunks = []
    const push = (op, text) => {
      if (!text) return
      const last = chunks[chunks.length - 1]
      if (last && last[0] === op) last[1] += text
      else chunks.push([op, text])
    }
    push("equal", a.slice(0, start).join(""))
    const x = a.slice(start, endA)
    const y = b.slice(start, endB)
    if (x.length * y.length > 2_000_000) {
      push("delete", x.join(""))
      push("insert", y.join(""))
    } else {
      const width = y.length + 1
      const common = new Uint32Array((x.length + 1) * width)
      for (let i = x.length - 1; i >= 0; i--) {
        for (let j = y.length - 1; j >= 0; j--) {
          common[i * width + j] =
            x[i] === y[j]
              ? common[(i + 1) * width + j + 1] + 1
              : Math.max(common[(i + 1) * width + j], common[i * width + j + 1])
        }
      }
      let i = 0
      let j = 0
      while (i < x.length || j < y.length) {
        if (i < x.length && j < y.length && x[i] === y[j]) {
          push("equal", x[i++])
          j++
        } else if (j >= y.length || (i < x.length && common[(i + 1) * width + j] >= common[i * width + j + 1])) {
          push("delete", x[i++])
        } else {
          push("insert", y[j++])
        }
      }
    }
    push("equal", a.slice(endA).join(""))
    return tidy(chunks)
  }

  // One change reads as one: the spaces between changed words join the change, and a
  // run of changes shows what went, then what came.
  function tidy(chunks) {
    const out = []
    let gone = ""
    let came = ""
    const flush = () => {
      if (gone) out.push(["delete", gone])
      if (came) out.push(["insert", came])
      gone = ""
      came = ""
    }
    chunks.forEach(([op, text], index) => {
      const inside = op === "equal" && !text.trim() && (gone || came) && index < chunks.length - 1
      if (inside) {
        gone += text
        came += text
      } else if (op === "equal") {
        flush()
        out.push([op, text])
      } else if (op === "delete") gone += text
      else came += text
    })
    flush()
    return out
  }

  function same(a, b) {
    const plain = (value) => (typeof value === "string" ? value.trim() : JSON.stringify(value ?? ""))
    return plain(a) === plain(b)
  }

  function labelOf(form, name) {
    const label = form.querySelector(`label[for="id_${CSS.escape(name)}"]`)
    return (label?.textContent || name).replace(/:\s*$/, "").trim()
  }

  function shown(form, name, value) {
    if (typeof value === "boolean") return value ? "Yes" : "No"
    const select = elementsNamed(form, name).find((element) => element.tagName === "SELECT")
    if (select) {
      const values = new Set([].concat(value ?? []).map(String))
      const texts = [...select.options].filter((o) => values.has(o.value)).map((o) => o.text)
      if (texts.length) return texts.join(", ")
    }
    return [].concat(value ?? []).join(", ") || "—"
  }

  function changes(form, saved, wanted) {
    const found = []
    for (const [name, value] of Object.entries(wanted)) {
      if (!(name in saved) || same(saved[name], value)) continue
      let chunks
      if (name === "body") {
        chunks = wordDiff(bodyText(saved[name]), bodyText(value))
        if (!chunks.some(([op]) => op !== "equal")) chunks = [["equal", "(formatting only)"]]
      } else if (PROSE.has(name)) chunks = wordDiff(saved[name], value)
      else chunks = [["delete", shown(form, name, saved[name])], ["insert", shown(form, name, value)]]
      found.push({ label: labelOf(form, name), chunks })
    }
    return found
  }

  function renderChanges(container, found) {
    container.replaceChildren()
    for (const { label, chunks } of found) {
      const section = document.createElement("section")
      section.className = "desk-diff"
      const heading = document.createElement("h3")
      heading.textContent = label
      const text = document.createElement("div")
      text.className = "desk-diff-text"
      for (const [op, part] of chunks) {
        if (op === "equal") text.append(document.createTextNode(part))
        else {
          const mark = document.createElement(op === "insert" ? "ins" : "del")
          mark.textContent = part
          text.append(mark)
        }
      }
      section.append(heading, text)
      container.append(section)
    }
  }

  // "10:42" as the desk writes times (24-hour), in the page's language; the day too
  // when it was not today.
  function clock(iso) {
    const when = new Date(iso)
    const locale = document.documentElement.lang || undefined
    const time = when.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    if (when.toDateString() === new Date().toDateString()) return time
    return `${when.toLocaleDateString(locale, { day: "numeric", month: "short" })}, ${time}`
  }

  // -- Putting it together ---------------------------------------------------------

  function start() {
    const box = document.getElementById("desk-autosave")
    settleSubmitted(box)
    prune()
    const form = box?.closest("form")
    if (!form) return
    const { autosaveUrl: url, autosaveKey: key, updatedAt } = box.dataset
    const names = new Set(box.dataset.autosaveFields.split(" ").filter(Boolean))
    const status = document.querySelector("[data-autosave-status]")
    const token = form.querySelector("[name=csrfmiddlewaretoken]")?.value || ""
    const saved = collect(form, names)
    // A form sent back with errors holds text that is not saved yet.
    let dirty = Boolean(document.querySelector(".errornote"))
    let submitting = false
    let sending = false
    let lastSent = JSON.stringify(saved)

    const say = (text) => {
      if (status) status.textContent = text
    }

    function keep() {
      dirty = true
      const now = new Date().toISOString()
      if (!writeLocal(key, { saved_at: now, data: collect(form, names) })) {
        say("This browser cannot keep a copy; the server's copy is sent every few seconds.")
      }
    }

    async function post(body) {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body,
      })
      if (!response.ok) throw new Error(String(response.status))
      return response.json()
    }

    let inFlight = null // the send on its way, if any

    async function send() {
      if (!dirty || sending || submitting) return
      const body = JSON.stringify(collect(form, names))
      if (body === lastSent) return
      sending = true
      try {
        inFlight = post(body)
        const answer = await inFlight
        lastSent = body
        say(`Draft kept at ${clock(answer.saved_at)} (not saved yet).`)
      } catch (error) {
        say(
          error instanceof TypeError
            ? "Offline: your text is kept in this browser until the network is back."
            : "Your text is kept in this browser; the server did not take it.",
        )
      } finally {
        sending = false
        inFlight = null
      }
    }

    form.addEventListener("input", keep)
    form.addEventListener("change", keep)
    window.django?.jQuery?.(form).on("select2:select select2:unselect", keep)
    form.addEventListener("submit", (event) => {
      submitting = true // no send starts now
      if (inFlight) {
        // A send already on its way could reach the server after the save, and bring
        // back the autosave the save spends: the save goes once it has its answer.
        event.preventDefault()
        const submitter = event.submitter
        inFlight.catch(() => {}).finally(() => form.requestSubmit(submitter))
        inFlight = null
        return
      }
      try {
        window.sessionStorage.setItem(SUBMITTED, JSON.stringify({ key, at: Date.now() }))
      } catch {}
    })
    window.addEventListener("beforeunload", (event) => {
      if (!dirty || submitting) return
      event.preventDefault()
      event.returnValue = ""
    })
    window.setInterval(send, SEND_EVERY)

    // The offer: the newest kept text, the server's or this browser's, when it is newer
    // than the saved story and says something else.
    if (!("autosaveOffer" in box.dataset)) return
    const serverCopy = JSON.parse(document.getElementById("desk-autosave-kept")?.textContent || "null")
    const since = updatedAt ? Date.parse(updatedAt) : Number.NEGATIVE_INFINITY
    const newest = [readLocal(key), serverCopy]
      .filter((copy) => copy?.data && Date.parse(copy.saved_at) > since)
      .sort((a, b) => Date.parse(b.saved_at) - Date.parse(a.saved_at))[0]
    if (!newest) return
    const found = changes(form, saved, newest.data)
    if (!found.length) return
    const time = box.querySelector("[data-autosave-time]")
    time.dateTime = newest.saved_at
    time.textContent = clock(newest.saved_at)
    renderChanges(box.querySelector("[data-autosave-diff]"), found)
    box.hidden = false

    box.querySelector("[data-autosave-restore]").addEventListener("click", () => {
      box.hidden = true
      apply(form, newest.data)
      keep()
      say(`Restored the text of ${clock(newest.saved_at)}. Save the story to keep it.`)
      form.querySelector("#id_headline")?.focus()
    })
    box.querySelector("[data-autosave-discard]").addEventListener("click", () => {
      box.hidden = true
      removeLocal(key)
      // The server's copy becomes the saved text, so it is not offered again.
      post(JSON.stringify(saved)).catch(() => {})
      say("Discarded the unsaved text.")
      form.querySelector("#id_headline")?.focus()
    })
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start)
  else start()
})()
