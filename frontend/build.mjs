// Bundles frontend/src into frontend/static/fitsportal/ (served by Django/whitenoise).
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "static", "fitsportal");
mkdirSync(out, { recursive: true });

await build({
  // Scripts and style sheets are files: the Content-Security-Policy allows no inline ones.
  entryPoints: ["viewer.js", "upload.js", "portal.css", "viewer.css", "docs.css", "search.js", "search.css", "compare.js", "compare.css", "collection.js"].map((name) => join(here, "src", name)),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: ["es2020"],
  outdir: out,
  loader: { ".png": "file" },
  logLevel: "warning",
});
// Leaflet's stylesheet and marker images, from the installed package.
cpSync(join(here, "node_modules", "leaflet", "dist", "leaflet.css"), join(out, "leaflet.css"));
cpSync(join(here, "node_modules", "leaflet", "dist", "images"), join(out, "images"), { recursive: true });
// The plots' style sheet (uPlot's own with the portal's plot, grid, compass and colour
// bar styles): plots.js links it when the page does not.
await build({
  entryPoints: [join(here, "src", "plots.css")],
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: "warning",
});
