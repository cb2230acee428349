#!/usr/bin/env bash
# Set-up shared by ./run.sh and ./test.sh: virtual environment, pinned Python packages, front-end assets,
# compiled translations. Safe to run again; it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
want=${1:-requirements.txt}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$(basename "$want")
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$want"
  touch "$stamp"
fi
if [ ! -f static/vendor/.stamp ] || [ package.json -nt static/vendor/.stamp ] \
   || [ -n "$(find frontend -newer static/vendor/.stamp -print -quit)" ]; then
  npm install --no-audit --no-fund --silent
  rm -rf static/vendor && mkdir -p static/vendor/bpmn-js static/vendor/htmx
  cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js static/vendor/bpmn-js/
  cp -r node_modules/bpmn-js/dist/assets static/vendor/bpmn-js/
  cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
  # Widgets from maintained libraries: one CSS toolkit, a multi-select with ordering, Russian date-time inputs.
  mkdir -p static/vendor/bootstrap static/vendor/tom-select static/vendor/flatpickr static/vendor/axe-core
  cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js \
    static/vendor/bootstrap/
  cp node_modules/tom-select/dist/js/tom-select.complete.min.js \
    node_modules/tom-select/dist/css/tom-select.bootstrap5.min.css static/vendor/tom-select/
  cp node_modules/flatpickr/dist/flatpickr.min.js node_modules/flatpickr/dist/flatpickr.min.css \
    node_modules/flatpickr/dist/l10n/ru.js static/vendor/flatpickr/
  cp node_modules/axe-core/axe.min.js static/vendor/axe-core/  # the browser tests' accessibility check
  mkdir -p static/vendor/chartjs  # the reports' charts
  cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chartjs/
  mkdir -p static/vendor/dmn-js  # the decision-table editor: dmn-js's prebuilt modeler and its styles
  cp -r node_modules/dmn-js/dist/dmn-modeler.production.min.js node_modules/dmn-js/dist/assets static/vendor/dmn-js/
  # The workbench's modeler: bpmn-js, the properties panel and the product's provider in one file (esbuild only).
  node_modules/.bin/esbuild frontend/workbench/modeler.js --bundle --minify --format=iife --target=es2020 \
    --loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
    --asset-names=[name]-[hash] --log-level=warning --outfile=static/vendor/workbench/modeler.js
  # The decision-table page: dmn-js itself is the prebuilt file above; this is the page's own code.
  node_modules/.bin/esbuild frontend/workbench/table.js --bundle --minify --format=iife --target=es2020 \
    --log-level=warning --outfile=static/vendor/workbench/table.js
  # The comparison page: two bpmn-js viewers coloured by bpmn-js-differ.
  node_modules/.bin/esbuild frontend/workbench/compare.js --bundle --minify --format=iife --target=es2020 \
    --loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
    --asset-names=[name]-[hash] --log-level=warning --outfile=static/vendor/workbench/compare.js
  touch static/vendor/.stamp
fi
.venv/bin/pybabel compile -d translations --statistics >/dev/null
