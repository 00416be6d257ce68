// The top bar's "More" menu (a <details>): it closes on a click outside it, and on Escape.
// On a phone the sections fold behind the menu button: it opens and closes them
// (aria-expanded), and Escape closes them and gives the focus back to the button.
(() => {
  const openMenus = () => document.querySelectorAll("details.navmore[open]");
  const bar = document.querySelector(".topbar");
  const toggle = document.querySelector(".navtoggle");
  const setOpen = (open) => {
    bar.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  if (bar && toggle) {
    bar.classList.add("navjs");
    toggle.addEventListener("click", () => setOpen(!bar.classList.contains("nav-open")));
  }
  document.addEventListener("click", (event) => {
    for (const menu of openMenus()) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const menus = openMenus();
    for (const menu of menus) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
    if (menus.length) return;
    if (bar && toggle && bar.classList.contains("nav-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
})();
