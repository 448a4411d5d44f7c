// Presence on the article form: every few seconds this tab tells the desk it has the
// story open (and whether it has unsaved changes), and shows who else has. The server
// keeps it in the shared cache only; the version check on save stays the real guard.
// Loaded as a file (no inline script: strict CSP).
;(() => {
  // Body editors that start before the form is read are remembered until it is.
  const early = []
  let onEditor = (detail) => early.push(detail)
  document.addEventListener("prose-editor:ready", (event) => onEditor(event.detail))

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start)
  } else {
    start()
  }

  function start() {
    const root = document.querySelector("[data-presence-url]")
    const form = root?.closest("form")
    if (!root || !form) return

    const url = root.dataset.presenceUrl
    const list = root.querySelector("[data-presence-list]")
    const mode = root.dataset.presenceMode === "edit" ? "edit" : "read"
    let interval = Math.max(0.5, Number(root.dataset.presenceInterval) || 10) * 1000
    // A tab that has said it is leaving is not let back under the same name (a
    // heartbeat answered after the leaving must not undo it): the page makes up a new
    // name whenever it comes back.
    const newTab = () =>
      Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) =>
        byte.toString(16).padStart(2, "0"),
      ).join("")
    let tab = newTab()

    // The form as it was loaded; "unsaved changes" means it differs from this now.
    const snapshot = () => {
      const fields = new URLSearchParams()
      for (const [name, value] of new FormData(form)) {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string") fields.append(name, value)
      }
      return fields.toString()
    }
    let loaded = snapshot()
    let touched = false
    let sentDirty = null
    let timer = null
    let stopped = false

    const isDirty = () => mode === "edit" && snapshot() !== loaded

    const body = (extra) =>
      new URLSearchParams({
        csrfmiddlewaretoken: form.querySelector("[name=csrfmiddlewaretoken]")?.value || "",
        tab,
        mode,
        ...extra,
      })

    const show = (html) => {
      // Only a change is written, so screen readers hear arrivals, departures and
      // unsaved changes, not every heartbeat.
      if (list.innerHTML.trim() !== html.trim()) list.innerHTML = html
    }

    async function beat() {
      clearTimeout(timer)
      if (stopped) return
      const dirty = isDirty()
      sentDirty = dirty
      try {
        const response = await fetch(url, {
          method: "POST",
          body: body({ dirty: dirty ? "1" : "0", hidden: document.hidden ? "1" : "0" }),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          redirect: "error",
        })
        if (response.status === 400 || response.status === 403) {
          stopped = true // not allowed (any more): stop asking
          return
        }
        if (response.ok) {
          const data = await response.json()
          show(data.html || "")
          if (data.interval) interval = Math.max(0.5, Number(data.interval)) * 1000
        }
      } catch {
        // Offline, or signed out (a redirect to the login page): try again next time.
      }
      timer = setTimeout(beat, interval)
    }

    // Tell the others as soon as this tab gains (or loses) unsaved changes.
    let pending = null
    const changed = () => {
      touched = true
      clearTimeout(pending)
      pending = setTimeout(() => {
        if (isDirty() !== sentDirty) beat()
      }, 300)
    }
    form.addEventListener("input", changed)
    form.addEventListener("change", changed)
    onEditor = ({ editor, textarea }) => {
      if (textarea.form !== form) return
      // The editor may write the body back in its own form as it starts: not a change.
      if (!touched) loaded = snapshot()
      if (editor && typeof editor.on === "function") editor.on("update", changed)
    }
    early.splice(0).forEach(onEditor)

    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) beat()
    })
    window.addEventListener("pagehide", () => {
      clearTimeout(timer)
      navigator.sendBeacon?.(url, body({ leaving: "1" }))
    })
    window.addEventListener("pageshow", (event) => {
      // Back from the browser's page cache: the tab is on the story again.
      if (event.persisted) {
        tab = newTab()
        beat()
      }
    })

    beat()
  }
})()
