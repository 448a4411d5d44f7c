// The story nodes of the article editor: inline image, gallery, embed and pull quote
// (django-prose-editor's extension mechanism: settings.DJANGO_PROSE_EDITOR_EXTENSIONS).
// Each saves the stored form of DESIGN.md ("The story body"); articles/richtext.py
// allows exactly that markup and articles/body.py renders it for readers.
// The dialogs talk to the desk's JSON endpoints (articles/editor.py), given to each
// extension as its `endpoints` option; no inline script or style is used.
import { Node } from "../django_prose_editor/editor.js"

const WIDTHS = [
  ["inline", "In the text column"],
  ["wide", "Wider than the text"],
  ["full", "Full width of the page"],
]

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue
    if (name === "text") node.textContent = value
    else node.setAttribute(name, value === true ? "" : value)
  }
  for (const child of children) if (child != null) node.append(child)
  return node
}

function csrfToken() {
  const field = document.querySelector("[name=csrfmiddlewaretoken]")
  return field ? field.value : ""
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } })
  if (!response.ok) throw new Error(`The desk answered ${response.status}.`)
  return response.json()
}

async function postForm(url, data) {
  const response = await fetch(url, {
    method: "POST",
    body: data,
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  })
  let body = {}
  try {
    body = await response.json()
  } catch {
    body = { error: `The desk answered ${response.status}.` }
  }
  if (!response.ok) throw new Error(body.error || `The desk answered ${response.status}.`)
  return body
}

// Pictures and embeds the editor has asked about, so node views do not ask twice.
const known = { images: new Map(), embeds: new Map() }

function imageInfo(endpoints, id) {
  if (!known.images.has(id)) {
    known.images.set(
      id,
      getJSON(`${endpoints.images}?ids=${encodeURIComponent(id)}`).then(
        (data) => data.results[0] || null,
      ),
    )
  }
  return known.images.get(id)
}

function embedInfo(endpoints, url) {
  if (!known.embeds.has(url)) {
    known.embeds.set(
      url,
      getJSON(`${endpoints.embed}?url=${encodeURIComponent(url)}`).catch(() => ({
        error: "Not resolved yet; it will be when you save.",
      })),
    )
  }
  return known.embeds.get(url)
}

function remember(image) {
  known.images.set(String(image.id), Promise.resolve(image))
}

// -- Dialogs --------------------------------------------------------------------

function openDialog(title, build) {
  const error = el("p", { class: "story-dialog-error", role: "alert" })
  const form = el("form", { method: "dialog", class: "story-dialog-form" })
  const heading = el("h2", { id: `story-dialog-${Date.now()}`, text: title })
  const dialog = el("dialog", { class: "story-dialog", "aria-labelledby": heading.id })
  const actions = el("div", { class: "story-dialog-actions" })
  const cancel = el("button", { type: "button", class: "story-button", text: "Cancel" })
  const confirm = el("button", { type: "submit", class: "story-button story-button--primary" })
  actions.append(cancel, confirm)
  form.append(heading)
  dialog.append(form)
  document.body.append(dialog)
  return new Promise((resolve) => {
    const api = {
      form,
      confirm,
      fail(message) {
        error.textContent = message || ""
      },
    }
    const result = build(api)
    form.append(error, actions)
    cancel.addEventListener("click", () => dialog.close())
    form.addEventListener("submit", (event) => {
      event.preventDefault()
      let value
      try {
        value = result.value()
      } catch (problem) {
        api.fail(problem.message)
        return
      }
      resolve(value)
      dialog.close()
    })
    dialog.addEventListener("close", () => {
      resolve(null)
      dialog.remove()
    })
    dialog.showModal()
  })
}

function field(label, input, help) {
  const id = input.id || `story-field-${Math.random().toString(36).slice(2)}`
  input.id = id
  const wrap = el("div", { class: "story-field" }, el("label", { for: id, text: label }), input)
  if (help) {
    const helpId = `${id}-help`
    input.setAttribute("aria-describedby", helpId)
    wrap.append(el("p", { class: "story-help", id: helpId, text: help }))
  }
  return wrap
}

function librarySearch(endpoints, onPick, label) {
  const query = el("input", { type: "search", autocomplete: "off" })
  const go = el("button", { type: "button", class: "story-button", text: "Search" })
  const status = el("p", { class: "story-help", role: "status" })
  const results = el("ul", { class: "story-results", role: "list" })
  let searches = 0
  async function run() {
    const mine = ++searches // only the newest search's answer is shown
    status.textContent = "Searching…"
    try {
      const data = await getJSON(`${endpoints.images}?q=${encodeURIComponent(query.value)}`)
      if (mine !== searches) return
      results.replaceChildren()
      for (const image of data.results) {
        remember(image)
        const pick = el(
          "button",
          { type: "button", class: "story-result", "data-image-id": image.id },
          el("img", { src: image.thumb, alt: "", width: 96, height: 72 }),
          el("span", { text: image.alt }),
        )
        pick.addEventListener("click", () => onPick(image))
        results.append(el("li", {}, pick))
      }
      status.textContent = data.results.length
        ? `${data.results.length} picture${data.results.length === 1 ? "" : "s"} found. ${label}`
        : "No pictures match; upload one below."
    } catch (error) {
      if (mine === searches) status.textContent = error.message
    }
  }
  go.addEventListener("click", run)
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault()
      run()
    }
  })
  run()
  const searchField = field("Search the picture library", query, "Alt text, caption or credit.")
  searchField.append(go)
  return el("div", { class: "story-library" }, searchField, status, results)
}

function uploader(endpoints, onUploaded) {
  const file = el("input", { type: "file", accept: "image/jpeg,image/png,image/webp,image/gif" })
  const alt = el("input", { type: "text", maxlength: 300 })
  const caption = el("input", { type: "text", maxlength: 500 })
  const credit = el("input", { type: "text", maxlength: 200 })
  const send = el("button", { type: "button", class: "story-button", text: "Upload to the library" })
  const status = el("p", { class: "story-help", role: "status" })
  send.addEventListener("click", async () => {
    if (!file.files.length) {
      status.textContent = "Choose a picture file first."
      return
    }
    const data = new FormData()
    data.append("file", file.files[0])
    data.append("alt_text", alt.value)
    data.append("caption", caption.value)
    data.append("credit", credit.value)
    status.textContent = "Uploading…"
    try {
      const image = await postForm(endpoints.upload, data)
      remember(image)
      status.textContent = "Uploaded."
      onUploaded(image)
    } catch (error) {
      status.textContent = error.message
    }
  })
  return el(
    "details",
    { class: "story-upload" },
    el("summary", { text: "Upload a new picture" }),
    field("Picture file", file),
    field("Alt text (required)", alt, "Describe the picture for readers who cannot see it."),
    field("Caption", caption),
    field("Credit", credit),
    send,
    status,
  )
}

function imageDialog(endpoints, attrs = {}) {
  return openDialog(attrs.image ? "Edit the picture" : "Insert a picture", (dialog) => {
    dialog.confirm.textContent = attrs.image ? "Update" : "Insert"
    let chosen = attrs.image ? String(attrs.image) : ""
    const preview = el("div", { class: "story-chosen", "aria-live": "polite" })
    const alt = el("input", { type: "text", maxlength: 300, value: attrs.alt || "" })
    const caption = el("input", { type: "text", maxlength: 500, value: attrs.caption || "" })
    const credit = el("input", { type: "text", maxlength: 200, value: attrs.credit || "" })
    const widths = el("fieldset", { class: "story-widths" }, el("legend", { text: "Width" }))
    for (const [value, label] of WIDTHS) {
      const radio = el("input", { type: "radio", name: "story-width", value })
      radio.checked = (attrs.width || "inline") === value
      widths.append(el("label", {}, radio, ` ${label}`))
    }
    function choose(image) {
      chosen = String(image.id)
      preview.replaceChildren(
        el("img", { src: image.thumb, alt: "", width: 160, height: 120 }),
        el("span", { text: `Chosen: ${image.alt}` }),
      )
      alt.value = alt.value || image.alt
      alt.placeholder = image.alt
      caption.placeholder = image.caption || ""
      credit.placeholder = image.credit || ""
    }
    if (chosen) imageInfo(endpoints, chosen).then((image) => image && choose(image))
    dialog.form.append(
      librarySearch(endpoints, choose, "Choose one to use it."),
      uploader(endpoints, choose),
      preview,
      field("Alt text (required)", alt, "From the library; change it for this use if needed."),
      field("Caption", caption, "Leave empty to use the library's caption."),
      field("Credit", credit, "Leave empty to use the library's credit."),
      widths,
    )
    return {
      value() {
        if (!chosen) throw new Error("Choose a picture from the library, or upload one.")
        if (!alt.value.trim()) {
          alt.focus()
          throw new Error("Describe the picture for readers who cannot see it (alt text).")
        }
        return {
          image: chosen,
          alt: alt.value.trim(),
          caption: caption.value.trim(),
          credit: credit.value.trim(),
          width: dialog.form.querySelector("input[name=story-width]:checked").value,
        }
      },
    }
  })
}

function galleryDialog(endpoints, attrs = {}) {
  return openDialog(attrs.images ? "Edit the gallery" : "Insert a gallery", (dialog) => {
    dialog.confirm.textContent = attrs.images ? "Update" : "Insert"
    const chosen = []
    const list = el("ol", { class: "story-gallery-order", "aria-label": "Pictures in order" })
    const caption = el("input", { type: "text", maxlength: 500, value: attrs.caption || "" })
    function draw() {
      list.replaceChildren()
      chosen.forEach((image, index) => {
        const up = el("button", { type: "button", class: "story-button", text: "Earlier" })
        const down = el("button", { type: "button", class: "story-button", text: "Later" })
        const remove = el("button", { type: "button", class: "story-button", text: "Remove" })
        for (const [button, label] of [
          [up, "Move earlier"],
          [down, "Move later"],
          [remove, "Remove"],
        ])
          button.setAttribute("aria-label", `${label}: ${image.alt}`)
        up.disabled = index === 0
        down.disabled = index === chosen.length - 1
        up.addEventListener("click", () => {
          chosen.splice(index - 1, 0, chosen.splice(index, 1)[0])
          draw()
        })
        down.addEventListener("click", () => {
          chosen.splice(index + 1, 0, chosen.splice(index, 1)[0])
          draw()
        })
        remove.addEventListener("click", () => {
          chosen.splice(index, 1)
          draw()
        })
        list.append(
          el(
            "li",
            { "data-image-id": image.id },
            el("img", { src: image.thumb, alt: "", width: 64, height: 48 }),
            el("span", { text: image.alt }),
            up,
            down,
            remove,
          ),
        )
      })
    }
    function add(image) {
      if (!chosen.some((item) => String(item.id) === String(image.id))) chosen.push(image)
      draw()
    }
    for (const id of (attrs.images || "").split(",").filter(Boolean)) {
      imageInfo(endpoints, id).then((image) => image && add(image))
    }
    dialog.form.append(
      librarySearch(endpoints, add, "Choose them in the order readers will see them."),
      uploader(endpoints, add),
      el("p", { class: "story-help", text: "The gallery, in order:" }),
      list,
      field("Caption of the gallery", caption),
    )
    return {
      value() {
        if (chosen.length < 2) throw new Error("A gallery needs at least two pictures.")
        return {
          images: chosen.map((image) => image.id).join(","),
          caption: caption.value.trim(),
        }
      },
    }
  })
}

function embedCard(embed) {
  return el(
    "div",
    { class: "story-embed-card" },
    embed.thumb ? el("img", { src: embed.thumb, alt: "", width: 160, height: 90 }) : null,
    el(
      "div",
      {},
      el("strong", { text: embed.provider }),
      el("span", { text: ` ${embed.title || embed.url}` }),
      embed.resolved
        ? null
        : el("p", { class: "story-help", text: "The provider did not answer: readers get a link." }),
    ),
  )
}

function embedDialog(endpoints, attrs = {}) {
  return openDialog(attrs.url ? "Edit the embed" : "Embed a video, post or chart", (dialog) => {
    dialog.confirm.textContent = attrs.url ? "Update" : "Insert"
    const url = el("input", { type: "url", value: attrs.url || "", required: true })
    const caption = el("input", { type: "text", maxlength: 500, value: attrs.caption || "" })
    const check = el("button", { type: "button", class: "story-button", text: "Check" })
    const card = el("div", { class: "story-chosen", "aria-live": "polite" })
    let resolved = null
    // One request per address (leaving the field and pressing Check both ask), and
    // only the newest address's answer counts: an older one arriving late, or
    // failing late, never replaces it. After a failure, Check asks again.
    let asking = null
    function run() {
      const address = url.value.trim()
      if (asking && asking.address === address) return asking.done
      const mine = { address }
      asking = mine
      dialog.fail("")
      resolved = null
      card.replaceChildren(el("p", { class: "story-help", text: "Asking the provider…" }))
      const data = new FormData()
      data.append("url", address)
      mine.done = postForm(endpoints.embed, data).then(
        (embed) => {
          if (asking !== mine) return
          known.embeds.set(embed.url, Promise.resolve(embed))
          resolved = embed
          card.replaceChildren(embedCard(embed))
        },
        (error) => {
          if (asking !== mine) return
          asking = null
          card.replaceChildren()
          dialog.fail(error.message)
        },
      )
      return mine.done
    }
    check.addEventListener("click", run)
    url.addEventListener("change", run)
    const urlField = field("Address of the page", url, "As the provider's page shows it.")
    urlField.append(check)
    dialog.form.append(urlField, card, field("Caption", caption))
    if (attrs.url) run()
    return {
      value() {
        if (!resolved) throw new Error("Check the address first: only allowed providers embed.")
        return { url: resolved.url, caption: caption.value.trim() }
      },
    }
  })
}

// -- Nodes ----------------------------------------------------------------------

function captionOf(element) {
  const caption = element.querySelector("figcaption")
  return caption ? caption.textContent.trim() : ""
}

function figureHTML(attrs, caption) {
  return caption ? ["figure", attrs, ["figcaption", {}, caption]] : ["figure", attrs]
}

function nodeView(render, edit) {
  return ({ node, editor, getPos }) => {
    const dom = el("div", { class: "story-node", contenteditable: "false" })
    const body = el("div", { class: "story-node-body" })
    const change = el("button", { type: "button", class: "story-button", text: "Edit" })
    change.addEventListener("click", async () => {
      const attrs = await edit(node.attrs)
      if (attrs) {
        editor
          .chain()
          .focus()
          .command(({ tr }) => {
            tr.setNodeMarkup(getPos(), undefined, { ...node.attrs, ...attrs })
            return true
          })
          .run()
      }
    })
    dom.append(body, change)
    render(body, node.attrs)
    return {
      dom,
      update(updated) {
        if (updated.type !== node.type) return false
        node = updated
        render(body, node.attrs)
        return true
      },
      ignoreMutation: () => true,
      stopEvent: (event) => event.target === change,
    }
  }
}

// A figure goes after the block the cursor is in (or after the selected figure, which
// it must not replace), as a block of its own.
function insertNode(editor, type, attrs) {
  const { $to } = editor.state.selection
  const at = $to.depth > 0 ? $to.after(1) : editor.state.selection.to
  editor.chain().focus().insertContentAt(at, { type, attrs }).run()
}

function menuItem(menu, buttons, name, icon, label, command) {
  menu.defineItem({
    name,
    groups: "nodes story",
    button: buttons.material(icon, label),
    command,
  })
}

export const StoryImage = Node.create({
  name: "storyImage",
  group: "block",
  atom: true,
  draggable: true,
  addOptions: () => ({ endpoints: {} }),
  addAttributes: () => ({
    image: { default: "" },
    width: { default: "inline" },
    alt: { default: "" },
    credit: { default: "" },
    caption: { default: "" },
  }),
  parseHTML: () => [
    {
      tag: "figure[data-image]",
      getAttrs: (element) => ({
        image: element.getAttribute("data-image"),
        width: element.getAttribute("data-width") || "inline",
        alt: element.getAttribute("data-alt") || "",
        credit: element.getAttribute("data-credit") || "",
        caption: captionOf(element),
      }),
    },
  ],
  renderHTML({ node }) {
    const attrs = { "data-image": node.attrs.image, "data-width": node.attrs.width }
    if (node.attrs.alt) attrs["data-alt"] = node.attrs.alt
    if (node.attrs.credit) attrs["data-credit"] = node.attrs.credit
    return figureHTML(attrs, node.attrs.caption)
  },
  addNodeView() {
    const { endpoints } = this.options
    return nodeView(
      (body, attrs) => {
        body.replaceChildren(el("p", { class: "story-node-label", text: `Picture (${attrs.width})` }))
        imageInfo(endpoints, attrs.image).then((image) => {
          if (!image) {
            body.append(el("p", { text: "This picture is no longer in the library." }))
            return
          }
          body.append(
            el("img", { src: image.thumb, alt: attrs.alt || image.alt, width: 240, height: 180 }),
            el("p", { class: "story-node-caption", text: attrs.caption || image.caption || "" }),
          )
        })
      },
      (attrs) => imageDialog(endpoints, attrs),
    )
  },
  addMenuItems({ buttons, menu }) {
    const { endpoints } = this.options
    menuItem(menu, buttons, "storyImage", "add_photo_alternate", "Insert a picture", (editor) => {
      imageDialog(endpoints).then((attrs) => {
        if (attrs) insertNode(editor, this.name, attrs)
      })
    })
  },
})

export const StoryGallery = Node.create({
  name: "storyGallery",
  group: "block",
  atom: true,
  draggable: true,
  addOptions: () => ({ endpoints: {} }),
  addAttributes: () => ({ images: { default: "" }, caption: { default: "" } }),
  parseHTML: () => [
    {
      tag: "figure[data-gallery]",
      getAttrs: (element) => ({
        images: element.getAttribute("data-gallery"),
        caption: captionOf(element),
      }),
    },
  ],
  renderHTML({ node }) {
    return figureHTML({ "data-gallery": node.attrs.images }, node.attrs.caption)
  },
  addNodeView() {
    const { endpoints } = this.options
    return nodeView(
      (body, attrs) => {
        const ids = attrs.images.split(",").filter(Boolean)
        const strip = el("div", { class: "story-node-strip" })
        body.replaceChildren(
          el("p", { class: "story-node-label", text: `Gallery of ${ids.length} pictures` }),
          strip,
          el("p", { class: "story-node-caption", text: attrs.caption }),
        )
        for (const id of ids) {
          imageInfo(endpoints, id).then((image) => {
            if (image) strip.append(el("img", { src: image.thumb, alt: image.alt, width: 96, height: 72 }))
          })
        }
      },
      (attrs) => galleryDialog(endpoints, attrs),
    )
  },
  addMenuItems({ buttons, menu }) {
    const { endpoints } = this.options
    menuItem(menu, buttons, "storyGallery", "photo_library", "Insert a gallery", (editor) => {
      galleryDialog(endpoints).then((attrs) => {
        if (attrs) insertNode(editor, this.name, attrs)
      })
    })
  },
})

export const StoryEmbed = Node.create({
  name: "storyEmbed",
  group: "block",
  atom: true,
  draggable: true,
  addOptions: () => ({ endpoints: {} }),
  addAttributes: () => ({ url: { default: "" }, caption: { default: "" } }),
  parseHTML: () => [
    {
      tag: "figure[data-embed]",
      getAttrs: (element) => ({
        url: element.getAttribute("data-embed"),
        caption: captionOf(element),
      }),
    },
  ],
  renderHTML({ node }) {
    return figureHTML({ "data-embed": node.attrs.url }, node.attrs.caption)
  },
  addNodeView() {
    const { endpoints } = this.options
    return nodeView(
      (body, attrs) => {
        body.replaceChildren(el("p", { class: "story-node-label", text: "Embed" }))
        embedInfo(endpoints, attrs.url).then((embed) => {
          body.append(
            embed.error
              ? el("p", { class: "story-dialog-error", text: embed.error })
              : embedCard(embed),
            el("p", { class: "story-node-caption", text: attrs.caption }),
          )
        })
      },
      (attrs) => embedDialog(endpoints, attrs),
    )
  },
  addMenuItems({ buttons, menu }) {
    const { endpoints } = this.options
    menuItem(menu, buttons, "storyEmbed", "smart_display", "Embed a video, post or chart", (editor) => {
      embedDialog(endpoints).then((attrs) => {
        if (attrs) insertNode(editor, this.name, attrs)
      })
    })
  },
})

export const PullQuote = Node.create({
  name: "pullQuote",
  group: "block",
  content: "paragraph+",
  defining: true,
  priority: 200,
  parseHTML: () => [{ tag: "blockquote[data-pullquote]", priority: 100 }],
  renderHTML: () => ["blockquote", { "data-pullquote": "" }, 0],
  addCommands() {
    return {
      togglePullQuote:
        () =>
        ({ commands }) =>
          commands.toggleWrap(this.name),
    }
  },
  addMenuItems({ buttons, menu }) {
    menu.defineItem({
      name: "pullQuote",
      groups: "nodes story",
      button: buttons.material("format_size", "Pull quote"),
      command: (editor) => editor.chain().focus().togglePullQuote().run(),
      active: (editor) => editor.isActive(this.name),
      enabled: (editor) => editor.can().togglePullQuote(),
    })
  },
})
