// The admin's own controls, made usable by keyboard and screen reader (every admin page).
// - Links that act as buttons (href="#": "Add another byline", "Remove", "Today", the
//   calendar's arrows) are buttons: announced as such, and Space presses them too.
// - The autocomplete boxes (select2) are named by their field's label, or the name the
//   server gave the hidden select, followed by what is chosen; so is their search box.
;(() => {
  const BUTTON_LINKS = 'a[href="#"]:not([role])'

  function nameCombobox(selection) {
    const select = selection.closest(".select2-container")?.previousElementSibling
    const rendered = selection.querySelector(".select2-selection__rendered")
    if (!select || select.tagName !== "SELECT" || !rendered) return
    // The chosen text is read as part of the name, not as an empty read-only text box.
    rendered.removeAttribute("role")
    rendered.removeAttribute("aria-readonly")
    let label = select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`)
    if (!label) {
      const text = select.getAttribute("aria-label")
      if (!text) return
      label = document.createElement("span")
      label.hidden = true
      label.textContent = text
      select.after(label)
    }
    label.id ||= `${select.id || rendered.id}-name`
    selection.setAttribute("aria-labelledby", `${label.id} ${rendered.id}`)
  }

  // The search box of an open autocomplete list is named for the box it fills.
  function nameSearch(field) {
    if (field.hasAttribute("aria-label")) return
    const open = document.querySelector(".select2-container--open .select2-selection[aria-labelledby]")
    const label = open && document.getElementById(open.getAttribute("aria-labelledby").split(" ")[0])
    const name = (label?.textContent || "").trim().replace(/:$/, "")
    field.setAttribute("aria-label", name ? `Search: ${name}` : "Search")
    // An expanded combobox names the list it controls (select2 says only aria-owns).
    if (open && field.getAttribute("aria-controls")) {
      open.setAttribute("aria-controls", field.getAttribute("aria-controls"))
    }
  }

  // ... and names none once the list is gone.
  function forgetClosedLists() {
    for (const selection of document.querySelectorAll(".select2-selection[aria-controls]")) {
      if (!document.getElementById(selection.getAttribute("aria-controls"))) {
        selection.removeAttribute("aria-controls")
      }
    }
  }

  function upgrade(root) {
    if (!(root instanceof Element)) return
    const found = (selector) => [
      ...(root.matches(selector) ? [root] : []),
      ...root.querySelectorAll(selector),
    ]
    for (const link of found(BUTTON_LINKS)) link.setAttribute("role", "button")
    for (const selection of found('.select2-selection[role="combobox"]')) nameCombobox(selection)
    for (const field of found(".select2-search__field")) nameSearch(field)
    // The mouse's "×" (clear) is no part of the box's name.
    for (const clear of found(".select2-selection__clear")) clear.setAttribute("aria-hidden", "true")
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== " " || event.defaultPrevented) return
    const link = event.target instanceof Element && event.target.closest('a[role="button"]')
    if (!link) return
    event.preventDefault()
    link.click()
  })

  upgrade(document.documentElement)
  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach(upgrade)
    forgetClosedLists()
  }).observe(document.documentElement, { childList: true, subtree: true })
})()
