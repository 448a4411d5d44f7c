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
  textarea.dispatchEvent(
    new CustomEvent("prose-editor:ready", { detail: { editor, textarea }, bubbles: true }),
  )
  return editor
}

initializeEditors(createEditor, `[${marker}]`)
