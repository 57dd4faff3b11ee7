// Builds static/ from npm packages: the branded GOV.UK Frontend stylesheet, its JavaScript,
// htmx. Run by `make assets` (part of `make run` and `make test`).
import { compile } from "sass";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
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
console.log("assets built: static/css/portal.css, static/vendor/");
