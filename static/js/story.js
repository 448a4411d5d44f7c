// A story's embeds and galleries (templates/articles/body/). Without this script an
// embed is a link to the provider's page and a gallery a grid of linked pictures.
//
// Embeds: nothing loads from the provider until the reader presses "Load"; then the
// frame (from the provider's privacy-preserving domain where it has one, which the
// page's Content-Security-Policy allows) replaces the facade and takes the focus.
// Galleries: a picture opens in a modal viewer; Previous/Next (or the arrow keys)
// move through the gallery, Escape or Close returns to the picture it came from.
;(() => {
  "use strict"

  for (const actions of document.querySelectorAll("[data-embed-actions]")) {
    const button = actions.querySelector("[data-embed-load]")
    actions.hidden = false
    button.addEventListener("click", () => {
      const facade = actions.closest(".embed-facade")
      const frame = document.createElement("iframe")
      frame.src = button.dataset.frame
      frame.title = button.dataset.frameTitle
      frame.className = "embed-frame"
      frame.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture"
      frame.allowFullscreen = true
      frame.referrerPolicy = "strict-origin-when-cross-origin"
      const width = Number(button.dataset.frameWidth)
      const height = Number(button.dataset.frameHeight)
      if (width > 0 && height > 0) frame.style.aspectRatio = `${width} / ${height}`
      facade.replaceWith(frame)
      frame.focus()
    })
  }

  for (const gallery of document.querySelectorAll("[data-gallery]")) {
    const items = [...gallery.querySelectorAll("[data-gallery-item]")]
    if (!items.length) continue
    const dialog = document.createElement("dialog")
    dialog.className = "gallery-viewer"
    dialog.setAttribute("aria-label", "Gallery")
    dialog.innerHTML = `
      <figure class="gallery-viewer-figure">
        <img class="gallery-viewer-image" alt="">
        <figcaption class="gallery-viewer-caption"></figcaption>
      </figure>
      <p class="gallery-viewer-count" aria-live="polite"></p>
      <div class="gallery-viewer-controls">
        <button type="button" data-step="-1">Previous</button>
        <button type="button" data-step="1">Next</button>
        <button type="button" data-close>Close</button>
      </div>`
    gallery.append(dialog)
    const image = dialog.querySelector("img")
    const caption = dialog.querySelector("figcaption")
    const count = dialog.querySelector(".gallery-viewer-count")
    let current = 0

    function show(index) {
      current = (index + items.length) % items.length
      const item = items[current].dataset
      image.removeAttribute("srcset")
      image.src = items[current].href
      if (item.srcset) {
        image.srcset = item.srcset
        image.sizes = "90vw"
      }
      image.alt = item.alt
      image.width = Number(item.width) || 0
      image.height = Number(item.height) || 0
      caption.textContent = [item.caption, item.credit].filter(Boolean).join(" · ")
      caption.hidden = !caption.textContent
      count.textContent = `Picture ${current + 1} of ${items.length}`
    }

    items.forEach((link, index) => {
      link.addEventListener("click", (event) => {
        event.preventDefault()
        show(index)
        dialog.showModal()
        dialog.querySelector("[data-step='1']").focus()
      })
    })
    dialog.addEventListener("click", (event) => {
      const step = event.target.closest("[data-step]")
      if (step) show(current + Number(step.dataset.step))
      else if (event.target.closest("[data-close]")) dialog.close()
    })
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight") show(current + 1)
      else if (event.key === "ArrowLeft") show(current - 1)
    })
    dialog.addEventListener("close", () => items[current].focus())
  }
})()
