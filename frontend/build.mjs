// Builds static/ from npm packages: the branded GOV.UK Frontend stylesheet, its JavaScript,
// htmx, and the portal's own script (frontend/portal.js). Run by `make assets` (part of
// `make run` and `make test`).
import { compile } from "sass";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

const css = compile(join(root, "frontend", "portal.scss"), {
  loadPaths: [modules],
  style: "compressed",
  quietDeps: true,
});
mkdirSync(join(root, "static", "css"), { recursive: true });
writeFileSync(join(root, "static", "css", "portal.css"), css.css);

mkdirSync(join(vendor, "govuk"), { recursive: true });
cpSync(join(modules, "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js"),
  join(vendor, "govuk", "govuk-frontend.min.js"));
cpSync(join(modules, "htmx.org", "dist", "htmx.min.js"), join(vendor, "htmx.min.js"));
mkdirSync(join(root, "static", "js"), { recursive: true });
cpSync(join(root, "frontend", "portal.js"), join(root, "static", "js", "portal.js"));

// Every file the stylesheet refers to must be in static/: collectstatic under production
// settings (the Dockerfile's step) refuses a stylesheet with a url() to a missing file.
const missing = [...css.css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)]
  .map((match) => match[1])
  .filter((url) => url.startsWith("/static/"))
  .filter((url) => !existsSync(join(root, "static", url.slice("/static/".length).split(/[?#]/)[0])));
if (missing.length) {
  console.error(`static/css/portal.css refers to files the build does not copy: ${missing.join(", ")}`);
  process.exit(1);
}
console.log("assets built: static/css/portal.css, static/js/portal.js, static/vendor/");
