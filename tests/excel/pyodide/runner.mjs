// Loads Pyodide (the npm package pinned in package.json), installs the wheels that prepare.py downloaded with
// micropip from local files, and runs driver.py in it: one Pyodide for as many clicks as the caller sends.
//
//   node runner.mjs WHEELS_DIR MAIN_PY SCRIPT PAYLOAD_JSON   one click; prints {"actions": [...], "seconds": ...}
//   node runner.mjs WHEELS_DIR --serve                      JSON requests on stdin, one answer a line on stdout
//
// WHEELS_DIR holds the wheels and wheels.json (their install order). Python's own output goes to stderr.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const here = dirname(fileURLToPath(import.meta.url));
const [wheels, ...rest] = process.argv.slice(2);
if (!wheels || !(rest[0] === "--serve" || rest.length === 3)) {
  console.error("usage: node runner.mjs WHEELS_DIR (--serve | MAIN_PY SCRIPT PAYLOAD_JSON)");
  process.exit(2);
}

const started = performance.now();
const toStderr = (text) => process.stderr.write(text + "\n");
const pyodide = await loadPyodide({ stdout: toStderr, stderr: toStderr });
const manifest = JSON.parse(readFileSync(join(wheels, "wheels.json"), "utf8"));
await pyodide.loadPackage(join(wheels, manifest.micropip), { messageCallback: () => {} });
pyodide.mountNodeFS("/wheels", wheels);
const micropip = pyodide.pyimport("micropip");
await micropip.install.callKwargs(manifest.wheels.map((name) => "emfs:/wheels/" + name), { deps: false });
pyodide.runPython(readFileSync(join(here, "driver.py"), "utf8"));
const handle = pyodide.globals.get("handle");
const ready = (performance.now() - started) / 1000;

async function ask(request) {
  return await handle(JSON.stringify(request));
}

if (rest[0] === "--serve") {
  process.stdout.write(JSON.stringify({ ready: true, seconds: ready, version: pyodide.version }) + "\n");
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) process.stdout.write((await ask(JSON.parse(line))) + "\n");
  }
} else {
  const [main, script, payload] = rest;
  const loaded = JSON.parse(await ask({ op: "load", source: readFileSync(main, "utf8") }));
  if (loaded.error) {
    console.error(loaded.error);
    process.exit(1);
  }
  const answer = await ask({ op: "run", script, payload: readFileSync(payload, "utf8") });
  process.stdout.write(answer + "\n");
  process.exit(JSON.parse(answer).error ? 1 : 0);
}
