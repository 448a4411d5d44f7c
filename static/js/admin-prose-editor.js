// The article body editor (django-prose-editor's "configurable" preset) without an
// inline import map, so it runs under a Content-Security-Policy that allows no inline
// script: the editor module is imported by its static path instead of a bare name.
import * as editorModule from "../django_prose_editor/editor.js"

const { createTextareaEditor, initializeEditors } = editorModule
const marker = "data-django-prose-editor-configurable"
const EXTENSIONS = { ...editorModule }

function createEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null
  const config = JSON.parse(textarea.getAttribute(marker) || "{}")
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
