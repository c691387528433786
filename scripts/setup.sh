#!/usr/bin/env bash
# Set up a machine for `make report` / `make test`:
#   1. system packages: Debian's chromium (PDF printing, browser tests), poppler-utils
#      (pdftotext), a Japanese TrueType font with a real bold (BIZ UDGothic) and a math font (DejaVu Math TeX Gyre); installed with apt-get when missing;
#   2. a virtual environment in .venv from the pinned requirements.txt, the project installed
#      in it (pip install -e .) and its Jupyter kernel registered (papermill runs notebooks in it);
#   3. the site's vega scripts, bundled once for this environment (.venv/share/regenpolicy).
# Re-running is cheap: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
fonts=$(fc-list : family 2>/dev/null || true)
[[ $fonts == *"BIZ UDPGothic"* ]] || need_apt+=(fonts-morisawa-bizud-gothic)
[[ $fonts == *"DejaVu Math TeX Gyre"* ]] || need_apt+=(fonts-dejavu-extra)
if [ ${#need_apt[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${need_apt[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: missing ${need_apt[*]}; run as root: apt-get install ${need_apt[*]}" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${need_apt[*]} (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" fontconfig >/dev/null
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: creating .venv from requirements.txt"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))" >&2; exit 1; }
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  echo "$want" > "$stamp"
fi
# The project itself, installed editable (its dependencies are the pins above).
if ! .venv/bin/python -c 'import regenpolicy.builder.cli' >/dev/null 2>&1 || [ ! -f .venv/.project-installed ] \
   || [ pyproject.toml -nt .venv/.project-installed ]; then
  # (setuptools warns at length about every editable install: shown only if the install fails)
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e . 2>.venv/.install.log \
    || { cat .venv/.install.log >&2; exit 1; }
  touch .venv/.project-installed
fi
if [ ! -f .venv/share/jupyter/kernels/regenpolicy/kernel.json ] || ! grep -q "$PWD/.venv" .venv/share/jupyter/kernels/regenpolicy/kernel.json; then
  .venv/bin/python -m ipykernel install --sys-prefix --name regenpolicy --display-name "Python 3 (regenpolicy)" >/dev/null
fi
# The site's vega scripts, a function of the installed vl-convert and Altair alone: bundled once here (2.3 CPU-s)
# rather than by the first build of each cache; made again when the pins or the bundling code change.
if [ ! -f .venv/.vega-bundle ] || [ "$stamp" -nt .venv/.vega-bundle ] || [ regenpolicy/presentation/figures.py -nt .venv/.vega-bundle ]; then
  .venv/bin/python -c 'from regenpolicy.builder.book import install_vega_bundle; install_vega_bundle()'
  touch .venv/.vega-bundle
fi
