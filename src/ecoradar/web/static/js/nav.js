// The top bar's "More" menu (a <details>): it closes on a click outside it, and on Escape.
(() => {
  const openMenus = () => document.querySelectorAll("details.navmore[open]");
  document.addEventListener("click", (event) => {
    for (const menu of openMenus()) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of openMenus()) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();
