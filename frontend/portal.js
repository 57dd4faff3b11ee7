// The portal's own script: small enhancements over server-rendered pages (each works without it).

// A table wider than its column scrolls inside a box. A box that does overflow becomes a
// focusable region named after the table (its caption, else the heading before it), so a
// keyboard user can scroll it; one that fits is left out of the tab order.
(function () {
  const used = new Set();

  function tableName(table) {
    const caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    let node = table.closest(".portal-table-wrapper") || table;
    while (node && node !== document.body) {
      let sibling = node.previousElementSibling;
      while (sibling) {
        const heading = sibling.matches("h1, h2, h3, h4") ? sibling : sibling.querySelector("h1, h2, h3, h4");
        if (heading && heading.textContent.trim()) return heading.textContent.trim();
        sibling = sibling.previousElementSibling;
      }
      node = node.parentElement;
    }
    return "Table";
  }

  function uniqueName(name) {
    let candidate = name;
    for (let n = 2; used.has(candidate); n += 1) candidate = `${name} (${n})`;
    used.add(candidate);
    return candidate;
  }

  const boxes = [];
  document.querySelectorAll("main table.govuk-table").forEach((table) => {
    let box = table.parentElement;
    if (!box.classList.contains("portal-table-wrapper")) {
      box = document.createElement("div");
      box.className = "portal-table-wrapper";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    boxes.push({ box, name: `${tableName(table)} (scrolls sideways)` });
  });

  function label() {
    used.clear();
    boxes.forEach(({ box, name }) => {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", uniqueName(name));
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  label();
  window.addEventListener("load", label);
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(label, 150);
  });
})();
