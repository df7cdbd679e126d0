// Moving between views: the "fit" button (the whole image, centred), browser history
// (each settled view is an entry, so back and forward move between views) and links
// pasted into the same tab (hashchange), both applied through ``apply(hash)``.
import L from "leaflet";
import { element } from "./dom.js";

export const FitControl = L.Control.extend({
  options: { position: "topleft", title: "Fit the whole image (0)" },
  initialize(fit, options) {
    L.setOptions(this, options);
    this.fit = fit;
  },
  onAdd() {
    const anchor = element("a", { className: "fp-fit", title: this.options.title, role: "button", tabIndex: 0,
      ariaLabel: this.options.title }, "Fit");
    const bar = element("div", { className: "leaflet-bar leaflet-control" }, anchor);
    L.DomEvent.disableClickPropagation(bar);
    L.DomEvent.on(anchor, "click", (event) => {
      L.DomEvent.preventDefault(event);
      this.fit();
    });
    return bar;
  },
});

// Views closer in time than ``settle`` ms (a wheel spin, a fling) make one entry.
export function attachHistory(map, write, apply, { settle = 700 } = {}) {
  let written = window.location.hash;
  let applying = false;
  let lastPush = 0;
  map.on("moveend", () => {
    if (applying) return;
    const now = Date.now();
    if (now - lastPush > settle && window.location.hash !== "") {
      // Keep the current view as its own entry, then write the new one over the copy.
      window.history.pushState(null, "", window.location.href);
    }
    lastPush = now;
    write();
    written = window.location.hash;
  });
  const follow = () => {
    if (window.location.hash === written) return; // this page wrote it
    written = window.location.hash;
    applying = true;
    try {
      apply(window.location.hash);
    } finally {
      applying = false;
    }
    write();
    written = window.location.hash;
  };
  window.addEventListener("hashchange", follow);
  window.addEventListener("popstate", follow);
  // `wrote()`: the page wrote the link itself (a layer or a display setting changed):
  // the same link pasted back later is then applied, not taken for this page's own.
  return { written: () => written, wrote: () => { written = window.location.hash; } };
}
