// The article form: confirm the buttons that reach readers, count words as you type,
// select a share link when focused. Loaded as a file (no inline script: strict CSP).
;(() => {
  const WORDS_PER_MINUTE = 230

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-confirm]")
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault()
    }
  })

  document.addEventListener("focusin", (event) => {
    if (event.target.matches("[data-select-on-focus]")) event.target.select()
  })

  function countWords(html) {
    // Block boundaries separate words, as the server's count does.
    const spaced = (html || "").replace(/<\/?(p|h[1-6]|li|ul|ol|blockquote|br|hr|div)\b[^>]*>/gi, " ")
    const doc = new DOMParser().parseFromString(spaced, "text/html")
    const text = (doc.body.textContent || "").trim()
    return text ? text.split(/\s+/).length : 0
  }

  function showCount(textarea) {
    const output = document.querySelector("[data-word-count]")
    if (!output) return
    const words = countWords(textarea.value)
    const minutes = Math.max(1, Math.round(words / WORDS_PER_MINUTE))
    output.textContent = `${words} words, about ${minutes} min to read`
  }

  document.addEventListener("prose-editor:ready", (event) => {
    const { editor, textarea } = event.detail
    if (textarea.name !== "body") return
    showCount(textarea)
    const update = () => showCount(textarea)
    if (editor && typeof editor.on === "function") editor.on("update", update)
    textarea.form?.addEventListener("input", update)
  })
})()
