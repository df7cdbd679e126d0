// The collection page: its image grid kept live (the websocket /ws/collections/<id>/
// announces images added, moved in or changed state), 2 to 4 images chosen to open
// side by side on the comparison page, the upload form (upload.js), and
// for its managers the panel to share it, rename it, change its visibility, move or
// delete images and delete it. The server checks every action; the panel appears only
// to those the API says manage the collection.
import { element, link } from "./dom.js";
import { csrfToken } from "./upload.js";

const LEVELS = [["view", "can view"], ["contribute", "can contribute"], ["manage", "can manage"]];
const VISIBILITY_NOTES = {
  private: "Private: only the owner and the people below may see it.",
  team: "Team: every signed-in member may view it; the people below may do more.",
  public: "Public: everyone may view it, signed in or not; the people below may do more.",
};

async function call(method, url, body) {
  const options = { method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data = {};
  try { data = await response.json(); } catch { data = {}; }
  if (!response.ok) throw new Error(data.detail || `Refused (${response.status})`);
  return data;
}

function say(node, text, failed = false) {
  node.textContent = text;
  node.classList.toggle("state-failed", failed);
}

// --- the image grid, live ----------------------------------------------------------
function cardParts(card) {
  return {
    title: card.querySelector(".fp-card-title"),
    name: card.querySelector(".fp-card-name"),
    obs: card.querySelector(".fp-card-obs"),
    size: card.querySelector(".fp-card-size"),
    state: card.querySelector(".fp-card-state"),
  };
}

function newCard(image) {
  const card = link(`/images/${Number(image.id)}/`);
  card.className = "fp-card";
  card.dataset.imageId = String(image.id);
  card.append(thumbnail(image),
    element("div", {}, element("strong", { className: "fp-card-name" }), element("br"),
      element("span", { className: "fp-card-title" }), element("br"),
      element("span", { className: "fp-card-obs" }),
      element("span", { className: "fp-card-size" }), " · ", element("span", { className: "fp-card-state" })));
  compareBox(card);
  return card;
}

// --- comparing images: 2 to 4 chosen on their cards, opened on /compare/ ------------
const COMPARE_MOST = 4;

// A card's "compare" switch. Inside the card's link, a click on it (or its label)
// switches it without following the link.
function compareBox(card) {
  if (card.querySelector(".fp-compare-pick")) return;
  const box = element("input", { type: "checkbox", name: "compare", value: card.dataset.imageId });
  const name = card.querySelector(".fp-card-name");
  box.setAttribute("aria-label", `Compare ${name ? name.textContent : "this image"}`);
  card.querySelector("div").append(element("br"), element("label", { className: "fp-compare-pick" }, box, " compare"));
  box.addEventListener("change", () => document.dispatchEvent(new CustomEvent("fp:compare-pick")));
}

function comparing(grid) {
  const button = element("button", { type: "button", name: "compare-selected", disabled: true }, "Compare selected");
  const note = element("span", { className: "fp-compare-count" });
  note.setAttribute("role", "status");
  grid.before(element("p", { className: "fp-compare-picked" }, button, " ", note));
  const picked = () => [...grid.querySelectorAll("input[name=compare]:checked")].map((box) => Number(box.value));
  const update = () => {
    const ids = picked();
    button.disabled = ids.length < 2 || ids.length > COMPARE_MOST;
    note.textContent = ids.length ? `${ids.length} selected (2 to ${COMPARE_MOST})` : `Select 2 to ${COMPARE_MOST} images to compare`;
    for (const box of grid.querySelectorAll("input[name=compare]")) box.disabled = !box.checked && ids.length >= COMPARE_MOST;
  };
  for (const card of grid.querySelectorAll(".fp-card")) compareBox(card);
  document.addEventListener("fp:compare-pick", update);
  document.addEventListener("fp:card-added", update);
  button.addEventListener("click", () => {
    const ids = picked();
    if (ids.length >= 2 && ids.length <= COMPARE_MOST) window.location.assign(`/compare/?images=${ids.join(",")}`);
  });
  update();
}

// What tells a card from its neighbours of the same object: filter, date, exposure
// (the search API's normalised metadata of the image).
export function observationText(meta) {
  if (!meta) return "";
  const date = meta.date_obs ? `${meta.date_obs.replace("T", " ").slice(0, 16)}` : "";
  const exposure = meta.exptime === null || meta.exptime === undefined ? "" : `${Number(meta.exptime)} s`;
  return [meta.filter || "", date, exposure].filter(Boolean).join(" · ");
}

// Cards added while the page is open come without their metadata: it is read from the
// search API, for the collection's newest images, once the cards stop arriving.
let metaTimer = null;
function fillObservations(grid) {
  clearTimeout(metaTimer);
  metaTimer = setTimeout(async () => {
    const page = document.querySelector("[data-collection-id]");
    const waiting = grid.querySelectorAll(".fp-card[data-obs=waiting]");
    if (!page || !waiting.length) return;
    const query = new URLSearchParams({ collection: page.dataset.collection, sort: "-id", page_size: "200" });
    let results = [];
    try {
      results = (await call("GET", `/api/images/?${query}`)).results;
    } catch {
      return; // the cards keep what they show
    }
    for (const image of results) {
      const card = grid.querySelector(`.fp-card[data-image-id="${Number(image.id)}"][data-obs=waiting]`);
      if (!card) continue;
      cardParts(card).obs.textContent = observationText(image.metadata);
      delete card.dataset.obs;
    }
  }, 300);
}

function thumbnail(image) {
  const img = element("img", { alt: "", loading: "lazy" });
  img.src = `/api/images/${Number(image.id)}/tiles/0/0/0.jpg`;
  return img;
}

function countImages(grid) {
  const count = grid.querySelectorAll(".fp-card").length;
  const line = document.querySelector(".fp-image-count");
  if (line) line.textContent = `${count} image${count === 1 ? "" : "s"}`;
}

// A state of an image shown (the upload form follows its own uploads' warming).
function showState(grid, event) {
  const card = grid.querySelector(`.fp-card[data-image-id="${Number(event.image)}"]`);
  if (!card) return;
  const parts = cardParts(card);
  showImage(grid, {
    id: event.image, title: parts.title.textContent, name: parts.name.textContent,
    size: parts.size.textContent, state: event.state, reason: event.reason,
  });
}

// Put ``image`` (an ``image`` event of the socket, or an upload's answer) in the grid.
export function showImage(grid, image) {
  let card = grid.querySelector(`.fp-card[data-image-id="${Number(image.id)}"]`);
  if (!card) {
    card = newCard(image);
    card.dataset.obs = "waiting";
    grid.append(card);
    fillObservations(grid);
    grid.querySelector(".fp-no-image")?.remove();
    countImages(grid);
    document.dispatchEvent(new CustomEvent("fp:card-added", { detail: image }));
  }
  const parts = cardParts(card);
  parts.title.textContent = image.title;
  parts.name.textContent = image.name;
  if (image.width !== undefined) {
    parts.size.textContent = `${image.width}×${image.height}, ${image.channels} channel${image.channels === 1 ? "" : "s"}`;
  }
  parts.state.className = `fp-card-state state-${image.state}`;
  parts.state.textContent = image.state + (image.state === "failed" && image.reason ? `: ${image.reason}` : "");
  // Once the image is ready its thumbnail is asked again (from the pyramid, now built).
  if (image.state === "ready" && card.dataset.state && card.dataset.state !== "ready") {
    card.querySelector("img").replaceWith(thumbnail(image));
  }
  card.dataset.state = image.state;
}

function watchCollection(grid, collectionId, since) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  let from = since;
  const open = () => {
    const socket = new WebSocket(
      `${scheme}://${window.location.host}/ws/collections/${Number(collectionId)}/?since=${from}`);
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "image") showImage(grid, event.image);
    });
    socket.addEventListener("close", (event) => {
      from = Date.now() / 1000;
      if (event.code !== 4404) setTimeout(open, 5000); // a restart: listen again
    });
  };
  open();
}

// --- the manager's panel -----------------------------------------------------------
function levelSelect(value, label) {
  const select = element("select", { className: "fp-level" },
    ...LEVELS.map(([level, text]) => element("option", { value: level, selected: level === value }, text)));
  select.setAttribute("aria-label", label);
  return select;
}

function sharing(panel, collection) {
  const base = `/api/collections/${encodeURIComponent(collection.slug)}/`;
  const list = panel.querySelector(".fp-grants");
  const form = panel.querySelector(".fp-grant-form");
  const input = form.querySelector("input");
  const suggestions = form.querySelector("[role=listbox]");
  const share = form.querySelector("button[type=submit]");
  const message = form.querySelector(".fp-message");
  let chosen = null;
  let shown = [];
  let active = -1;

  function render(grants) {
    const owner = element("li", { className: "fp-grant" },
      element("span", { className: "fp-grant-name" }, collection.owner), element("span", { className: "fp-owner" }, "owner"));
    const rows = grants.map((grant) => {
      const change = levelSelect(grant.level, `Level of ${grant.name}`);
      change.addEventListener("change", () => act(
        call("POST", `${base}grants/`, { [grant.kind]: grant.name, level: change.value }),
        `${grant.name} ${LEVELS.find(([level]) => level === change.value)[1]}.`));
      const revoke = element("button", { type: "button", className: "fp-revoke" }, "Revoke");
      revoke.setAttribute("aria-label", `Revoke ${grant.name}`);
      revoke.addEventListener("click", () => act(
        call("DELETE", `${base}grants/${grant.kind}/${Number(grant.id)}/`), `${grant.name} no longer has access.`));
      const name = element("span", { className: "fp-grant-name" }, grant.name);
      if (grant.kind === "group") name.append(" ", element("small", { className: "fp-badge" }, "group"));
      return element("li", { className: "fp-grant" }, name, change, revoke);
    });
    list.replaceChildren(owner, ...rows);
  }

  async function act(request, done) {
    try {
      render((await request).grants);
      say(message, done);
    } catch (error) {
      say(message, error.message, true);
    }
  }

  function close() {
    suggestions.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(principal) {
    chosen = principal;
    input.value = principal.name;
    share.disabled = false;
    close();
  }

  function highlight(index) {
    const options = [...suggestions.children];
    active = Math.max(-1, Math.min(index, options.length - 1));
    options.forEach((option, n) => option.setAttribute("aria-selected", String(n === active)));
    if (active >= 0) input.setAttribute("aria-activedescendant", options[active].id);
  }

  let asked = 0;
  async function suggest() {
    const text = input.value.trim();
    chosen = shown.find((p) => p.name === text) || null;
    share.disabled = !chosen;
    if (!text) { close(); return; }
    const mine = ++asked;
    let results = [];
    try {
      results = (await call("GET", `${base}principals/?q=${encodeURIComponent(text)}`)).results;
    } catch (error) {
      say(message, error.message, true);
      return;
    }
    if (mine !== asked) return; // a later keystroke asked again
    shown = results.filter((p) => !(p.kind === "user" && p.name === collection.owner)); // holds every level
    results = shown;
    chosen = shown.find((p) => p.name === text) || null;
    share.disabled = !chosen;
    suggestions.replaceChildren(...results.map((principal, n) => {
      const option = element("li", { role: "option", id: `fp-principal-${n}` }, principal.name,
        principal.kind === "group" ? element("small", { className: "fp-badge" }, "group") : "");
      option.addEventListener("mousedown", (event) => { event.preventDefault(); choose(principal); });
      return option;
    }));
    if (!results.length) suggestions.append(element("li", { className: "fp-none" }, "No user or group of that name"));
    suggestions.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  }

  let timer = null;
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 150); });
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Escape") close();
    else if (event.key === "Enter" && active >= 0 && shown[active]) { event.preventDefault(); choose(shown[active]); }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) { say(message, "Choose a user or group among the suggestions.", true); return; }
    const who = chosen;
    const level = form.querySelector("select[name=level]").value;
    await act(call("POST", `${base}grants/`, { [who.kind]: who.name, level }),
      `Shared with ${who.name}: ${LEVELS.find(([l]) => l === level)[1]}.`);
    input.value = "";
    chosen = null;
    share.disabled = true;
  });
  act(call("GET", `${base}grants/`), "");
}

function settings(panel, collection, onChange) {
  const form = panel.querySelector(".fp-settings-form");
  const message = form.querySelector(".fp-message");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: form.elements.name.value.trim(), visibility: form.elements.visibility.value };
    try {
      Object.assign(collection, await call("PATCH", `/api/collections/${encodeURIComponent(collection.slug)}/`, body));
      onChange(collection);
      say(message, "Saved.");
    } catch (error) {
      say(message, error.message, true);
    }
  });
}

// A confirmation in the page's own dialog; with ``typed``, the user types it first.
function confirmed(dialog, { title, text, typed = null, action = "Delete" }) {
  const word = dialog.querySelector(".fp-confirm-typed");
  const input = word.querySelector("input");
  const ok = dialog.querySelector("button[value=ok]");
  dialog.querySelector(".fp-confirm-title").textContent = title;
  dialog.querySelector(".fp-confirm-text").textContent = text;
  dialog.querySelector(".fp-confirm-word").textContent = typed || "";
  ok.textContent = action;
  word.hidden = typed === null;
  input.value = "";
  ok.disabled = typed !== null;
  input.oninput = () => { ok.disabled = input.value !== typed; };
  dialog.returnValue = "";
  dialog.showModal();
  if (typed !== null) input.focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

function images(panel, collection, grid, dialog) {
  const form = panel.querySelector(".fp-move-form");
  const choice = form.elements.images;
  const target = form.elements.collection;
  const message = form.querySelector(".fp-message");
  const selected = () => [...choice.selectedOptions].map((option) => Number(option.value));
  const remove = (ids) => {
    for (const id of ids) {
      grid.querySelector(`.fp-card[data-image-id="${id}"]`)?.remove();
      choice.querySelector(`option[value="${id}"]`)?.remove();
    }
    countImages(grid);
  };
  document.addEventListener("fp:card-added", (event) => {
    const image = event.detail;
    if (!choice.querySelector(`option[value="${Number(image.id)}"]`)) {
      choice.append(element("option", { value: String(image.id) }, `${image.name} (${image.title})`));
    }
  });
  call("GET", "/api/collections/?level=manage&page_size=500").then((page) => {
    const others = page.results.filter((other) => other.slug !== collection.slug);
    target.replaceChildren(...(others.length
      ? others.map((other) => element("option", { value: other.slug }, other.name))
      : [element("option", { value: "" }, "no other collection you manage")]));
    form.querySelector("button[type=submit]").disabled = !others.length;
  }).catch((error) => say(message, error.message, true));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = selected();
    if (!ids.length) { say(message, "Select the images to move first.", true); return; }
    try {
      await call("POST", "/api/images/move/", { images: ids, collection: target.value });
      remove(ids);
      say(message, `Moved ${ids.length} image${ids.length === 1 ? "" : "s"} to ${target.selectedOptions[0].textContent}.`);
    } catch (error) {
      say(message, error.message, true);
    }
  });
  form.querySelector("[data-action=delete-images]").addEventListener("click", async () => {
    const ids = selected();
    if (!ids.length) { say(message, "Select the images to delete first.", true); return; }
    const sure = await confirmed(dialog, {
      title: `Delete ${ids.length} image${ids.length === 1 ? "" : "s"}?`,
      text: "Their rows, pyramids and uploaded files are removed; files registered in place stay on disk.",
    });
    if (!sure) return;
    const done = [];
    try {
      for (const id of ids) {
        await call("DELETE", `/api/images/${id}/`);
        done.push(id);
      }
      say(message, `Deleted ${done.length} image${done.length === 1 ? "" : "s"}.`);
    } catch (error) {
      say(message, error.message, true);
    }
    remove(done);
  });
}

function deletion(panel, collection, dialog) {
  panel.querySelector("[data-action=delete-collection]").addEventListener("click", async () => {
    const sure = await confirmed(dialog, {
      title: `Delete ${collection.name}?`,
      text: `Its ${collection.image_count} image${collection.image_count === 1 ? "" : "s"}, catalogs and grants go with it. This cannot be undone.`,
      typed: collection.name,
      action: "Delete the collection",
    });
    if (!sure) return;
    try {
      await call("DELETE", `/api/collections/${encodeURIComponent(collection.slug)}/`);
      window.location.assign("/");
    } catch (error) {
      say(panel.querySelector(".fp-danger-zone .fp-message"), error.message, true);
    }
  });
}

function showCollection(collection) {
  document.querySelector(".fp-collection-name").textContent = collection.name;
  document.title = `${collection.name} · fitsportal`;
  document.querySelector(".fp-collection-visibility").textContent = collection.visibility;
  document.querySelector(".fp-visibility-note").textContent = VISIBILITY_NOTES[collection.visibility] || "";
}

async function manage(panel, grid) {
  const slug = panel.dataset.collection;
  let collection;
  try {
    collection = await call("GET", `/api/collections/${encodeURIComponent(slug)}/`);
  } catch {
    return; // the page shows what it shows; the panel stays hidden
  }
  if (!collection.can_manage) return;
  const dialog = document.getElementById("fp-confirm");
  showCollection(collection);
  sharing(panel, collection);
  settings(panel, collection, showCollection);
  images(panel, collection, grid, dialog);
  deletion(panel, collection, dialog);
  panel.hidden = false;
}

const page = document.querySelector("[data-collection-id]");
if (page) {
  const grid = document.querySelector(".fp-images");
  if (grid) comparing(grid);
  watchCollection(grid, page.dataset.collectionId, page.dataset.since);
  const upload = document.getElementById("upload");
  upload?.addEventListener("fp:image-added", (event) => showImage(grid, {
    ...event.detail, reason: event.detail.state_reason,
  }));
  upload?.addEventListener("fp:image-state", (event) => showState(grid, event.detail));
  const panel = document.getElementById("fp-manage");
  if (panel) manage(panel, grid);
}
