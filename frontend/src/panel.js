// The tools panel: tabs beside the map (a bottom sheet on a phone), collapsible.
//
// Other modules mount their controls into a tab's body:
//   import { panelTab } from "./panel.js";
//   panelTab("analysis").append(myPlot);
// Tabs: "image" (cuts, stretch), "colour" (channels, colormap, mix), "overlays",
// "analysis" (plots, pixel table), "share" (links, downloads). The tab bodies are in
// the page (image.html) before any script runs, so panelTab() works at any time; it
// returns null for an unknown name. A tab's content decides its own layout: the body
// is a block element, as wide as the panel (22 rem, or the screen on a phone), that
// scrolls when its content is taller than the panel.
//
// Events (on the panel element, #panel): "fp:tab" (detail: { name }) when a tab is
// shown, "fp:panel" (detail: { open }) when the panel opens or closes; the map's box
// changes then, and the viewer resizes the map (ResizeObserver).

export const TABS = ["image", "colour", "overlays", "analysis", "share"];

export function panelElement() {
  return document.getElementById("panel");
}

export function panelTab(name) {
  const panel = panelElement();
  if (!panel || !TABS.includes(name)) return null;
  return panel.querySelector(`section[data-tab="${name}"]`);
}

export function isPanelOpen() {
  const panel = panelElement();
  return Boolean(panel) && panel.dataset.open === "true";
}

export function setPanelOpen(open) {
  const panel = panelElement();
  if (!panel) return;
  panel.dataset.open = String(open);
  for (const toggle of document.querySelectorAll("[aria-controls=panel]")) toggle.setAttribute("aria-expanded", String(open));
  panel.dispatchEvent(new CustomEvent("fp:panel", { detail: { open } }));
}

export function showTab(name) {
  const panel = panelElement();
  if (!panel || !TABS.includes(name)) return;
  for (const tab of panel.querySelectorAll("[role=tab]")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  for (const body of panel.querySelectorAll("section[data-tab]")) body.hidden = body.dataset.tab !== name;
  panel.dataset.tab = name;
  panel.dispatchEvent(new CustomEvent("fp:tab", { detail: { name } }));
}

// Wires the tab buttons and the toggles. A phone starts with the sheet folded (the
// map first); a wider screen with the panel open. Clicking the shown tab of an open
// sheet folds it; any tab of a folded panel opens it on that tab.
export function initPanel({ narrow = window.matchMedia("(max-width: 640px)").matches } = {}) {
  const panel = panelElement();
  if (!panel) return;
  const tabs = [...panel.querySelectorAll("[role=tab]")];
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => {
      if (isPanelOpen() && panel.dataset.tab === tab.dataset.tab && narrow) setPanelOpen(false);
      else {
        showTab(tab.dataset.tab);
        if (!isPanelOpen()) setPanelOpen(true);
      }
    });
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = tabs[(index + step + tabs.length) % tabs.length];
      showTab(next.dataset.tab);
      next.focus();
    });
  });
  for (const toggle of document.querySelectorAll("[aria-controls=panel]")) {
    toggle.addEventListener("click", () => setPanelOpen(!isPanelOpen()));
  }
  showTab(panel.dataset.tab || "image");
  setPanelOpen(!narrow);
}
