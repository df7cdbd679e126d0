// The one way the client puts data on the page: elements and text nodes, never HTML
// strings. Every name, property, note, header value or file name shown goes through
// here; Leaflet popups get these elements too (a string given to Leaflet is parsed as
// HTML).

// Properties that would parse HTML, run code or load a URL: never set from here (links
// go through link(), which checks them).
const UNSAFE = /^(innerHTML|outerHTML|srcdoc|href|src|action|formAction|on.*)$/i;

// An element with properties (className, title, type, ...) and children; a string
// child becomes a text node, whatever characters it holds.
export function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (UNSAFE.test(name)) throw new Error(`element(): ${name} is not set from data`);
    node[name] = value;
  }
  node.append(...children.map((child) => (child instanceof Node ? child : String(child ?? ""))));
  return node;
}

// A link to a page of this site: another origin or scheme (javascript:, data:) is refused.
export function link(href, ...children) {
  const url = new URL(href, window.location.href);
  if (url.origin !== window.location.origin) throw new Error(`not a link of this site: ${href}`);
  const anchor = element("a", {}, ...children);
  anchor.href = url.href;
  return anchor;
}

// A property value as text: lists item by item, other objects as JSON, the rest as
// they print.
export function valueText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// The table of a feature's properties, as a popup shows it.
export function propertiesTable(properties, hidden = ["frame"]) {
  const rows = Object.entries(properties || {})
    .filter(([key]) => !hidden.includes(key))
    .map(([key, value]) => element("tr", {}, element("th", {}, key), element("td", {}, valueText(value))));
  return element("table", { className: "fp-popup" }, element("tbody", {}, ...rows));
}
