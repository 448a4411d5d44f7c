// The article body editor (django-prose-editor's "configurable" preset) without an
// inline import map, so it runs under a Content-Security-Policy that allows no inline
// script: the editor module is imported by its static path instead of a bare name.
// Extension modules named in the config (settings.DJANGO_PROSE_EDITOR_EXTENSIONS, e.g.
// the story nodes of js/prose-story.js) are imported first and join the extensions.
import * as editorModule from "../django_prose_editor/editor.js"

const { createTextareaEditor, initializeEditors } = editorModule
const marker = "data-django-prose-editor-configurable"
const EXTENSIONS = { ...editorModule }
const loaded = new Map()

function loadModules(urls) {
  return Promise.all(
    (urls || []).map((url) => {
      if (!loaded.has(url)) {
        loaded.set(
          url,
          import(url).then((module) => Object.assign(EXTENSIONS, module)),
        )
      }
      return loaded.get(url)
    }),
  )
}

async function createEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null
  const config = JSON.parse(textarea.getAttribute(marker) || "{}")
  await loadModules(config.js_modules)
  const extensions = []
  for (const [name, options] of Object.entries(config.extensions || {})) {
    const extension = EXTENSIONS[name]
    if (!extension) continue
    extensions.push(typeof options === "object" ? extension.configure(options) : extension)
  }
  const editor = createTextareaEditor(textarea, extensions)
  describe(editor, textarea)
  textarea.dispatchEvent(
    new CustomEvent("prose-editor:ready", { detail: { editor, textarea }, bubbles: true }),
  )
  return editor
}

// What the editor does not say about itself: the writing surface is a multi-line text
// box named by the field's label (and described by its help), the toggles say whether
// they are on, and the block-type button whether its list is open.
function describe(editor, textarea) {
  const surface = editor.view.dom
  const label = textarea.id && document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`)
  if (label) {
    label.id ||= `${textarea.id}-label`
    surface.setAttribute("aria-labelledby", label.id)
  } else {
    surface.setAttribute("aria-label", textarea.getAttribute("aria-label") || textarea.name)
  }
  surface.setAttribute("role", "textbox")
  surface.setAttribute("aria-multiline", "true")
  const help = textarea.getAttribute("aria-describedby")
  if (help) surface.setAttribute("aria-describedby", help)

  const root = textarea.closest(".prose-editor")
  const { marks, nodes } = editor.schema
  const isToggle = (name) =>
    name !== "link" && (name in marks || (name in nodes && !nodes[name].isAtom && !nodes[name].isLeaf))
  const sync = () => {
    if (!root) return
    for (const button of root.querySelectorAll(".prose-menubar__group [data-name]")) {
      if (isToggle(button.dataset.name)) {
        button.setAttribute("aria-pressed", String(button.classList.contains("active")))
      }
    }
    root.querySelectorAll(".prose-menubar__dropdown").forEach((dropdown, index) => {
      const picker = dropdown.querySelector(".prose-menubar__picker")
      const button = dropdown.querySelector(".prose-menubar__selected button")
      if (!picker || !button) return
      picker.id ||= `${textarea.id || textarea.name}-menu-${index}`
      button.setAttribute("aria-controls", picker.id)
      button.setAttribute("aria-expanded", String(picker.matches(":popover-open")))
      if (!picker.dataset.watched) {
        picker.dataset.watched = "1"
        picker.addEventListener("toggle", sync)
      }
    })
  }
  // The menu updates its buttons in its own handlers of the same events: after them.
  const later = () => queueMicrotask(sync)
  for (const name of ["create", "transaction", "selectionUpdate", "focus"]) editor.on(name, later)
}

initializeEditors(createEditor, `[${marker}]`)
