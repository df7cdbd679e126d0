// Bundles frontend/src into frontend/static/fitsportal/ (served by Django/whitenoise).
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "static", "fitsportal");
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, "src", "viewer.js"), join(here, "src", "upload.js")],
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
