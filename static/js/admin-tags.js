// Tag suggestions: as the editor types the last tag in the comma-separated list, offer
// existing tags (so the desk reuses "council" instead of inventing "Council news").
;(() => {
  function setUp(input) {
    const list = document.createElement("datalist")
    list.id = `${input.id}-suggestions`
    input.after(list)
    input.setAttribute("list", list.id)
    let pending = null

    input.addEventListener("input", () => {
      const parts = input.value.split(",")
      const typed = parts.pop().trim()
      const prefix = parts.map((part) => part.trim()).filter(Boolean)
      if (typed.length < 2) {
        list.replaceChildren()
        return
      }
      pending?.abort()
      pending = new AbortController()
      const url = `${input.dataset.suggestUrl}?q=${encodeURIComponent(typed)}`
      fetch(url, { signal: pending.signal, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { tags: [] }))
        .then(({ tags }) => {
          list.replaceChildren(
            ...tags
              .filter((tag) => !prefix.includes(tag))
              .map((tag) => {
                const option = document.createElement("option")
                option.value = [...prefix, tag].join(", ")
                return option
              }),
          )
        })
        .catch(() => {})
    })
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const input of document.querySelectorAll("input[data-suggest-url]")) setUp(input)
  })
})()
