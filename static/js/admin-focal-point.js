// Click the picture to set its focal point: the crops keep that spot in frame.
// The numeric focal_x / focal_y fields stay as the fallback without JavaScript.
;(() => {
  function setUp(picker) {
    const image = picker.querySelector("[data-focal-image]")
    const marker = picker.querySelector("[data-focal-marker]")
    const fieldX = document.getElementById("id_focal_x")
    const fieldY = document.getElementById("id_focal_y")
    if (!image || !marker || !fieldX || !fieldY) return
    picker.classList.add("focal-picker--active")
    picker.title = "Click the most important part of the picture"

    const place = (x, y) => {
      marker.hidden = false
      marker.style.left = `${x * 100}%`
      marker.style.top = `${y * 100}%`
    }
    image.addEventListener("click", (event) => {
      const box = image.getBoundingClientRect()
      const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width))
      const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height))
      fieldX.value = x.toFixed(3)
      fieldY.value = y.toFixed(3)
      place(x, y)
    })
    function follow() {
      const x = Number.parseFloat(fieldX.value)
      const y = Number.parseFloat(fieldY.value)
      if (x >= 0 && x <= 1 && y >= 0 && y <= 1) place(x, y)
    }
    follow()
    fieldX.addEventListener("input", follow)
    fieldY.addEventListener("input", follow)
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const picker of document.querySelectorAll("[data-focal-picker]")) setUp(picker)
  })
})()
