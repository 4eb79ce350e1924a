# The two commands of the README's quick start:
#   make flagship   the Facebook bank-data event study, offline, from data/ (prints the result, writes
#                   its charts and the flagship notebook rendered to HTML)
#   make test       the whole test suite, notebooks included
# and for the edit-test loop
#   make test-fast  the suite without the notebooks and the simulations (pytest markers)
# and
#   make reports    every notebook executed offline and rendered to HTML in reports/
#   make strip      remove outputs from the notebooks before committing (nbstripout)
#   make clean      remove .venv, reports/ and the test caches
# All create .venv in the checkout when it is missing or out of date (2-3 minutes the first time,
# with pip's progress), install the project into it, then run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPORTS := reports

NOTEBOOKS := $(wildcard notebooks/*.ipynb)

# Quiet execution: papermill's per-notebook INFO lines off (the kernel's own notices are silenced by
# notebooks/kernel/ipython_kernel_config.py, installed with the environment). HTML without CDN
# scripts, mathematics as MathML (notebooks/templates/offline).
PAPERMILL := $(BIN)/papermill --no-progress-bar --log-level WARNING --execution-timeout 600 --cwd notebooks
NBCONVERT := $(BIN)/jupyter nbconvert --log-level ERROR --to html \
             --TemplateExporter.extra_template_basedirs=notebooks/templates --template offline

.PHONY: flagship test test-fast reports install strip clean

flagship: $(STAMP)
	@mkdir -p $(REPORTS)/flagship
	$(BIN)/eventstudy run FB 2018-08-06 --market ^GSPC --model market --plot $(REPORTS)/flagship/fb_2018-08-06.png
	@echo "running notebooks/01_facebook_bank_data.ipynb"
	@tmp=$$(mktemp -d) && \
	  $(PAPERMILL) notebooks/01_facebook_bank_data.ipynb $$tmp/01_facebook_bank_data.ipynb && \
	  $(NBCONVERT) --output-dir $(REPORTS)/flagship $$tmp/01_facebook_bank_data.ipynb && \
	  rm -rf $$tmp
	@echo "The full analysis, with its charts and text: $(REPORTS)/flagship/01_facebook_bank_data.html"

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not notebook and not simulation"

# Each notebook twice in HTML: with its code (NAME.html) and without, for readers (NAME.no-code.html).
reports: $(STAMP)
	@mkdir -p $(REPORTS)
	@tmp=$$(mktemp -d) && \
	for nb in $(NOTEBOOKS); do \
	  name=$$(basename $$nb .ipynb); \
	  echo "running $$nb"; \
	  $(PAPERMILL) $$nb $$tmp/$$name.ipynb || { rm -rf $$tmp; exit 1; }; \
	  $(NBCONVERT) --output-dir $(REPORTS) $$tmp/$$name.ipynb || { rm -rf $$tmp; exit 1; }; \
	  $(NBCONVERT) --no-input --output $$name.no-code --output-dir $(REPORTS) $$tmp/$$name.ipynb || { rm -rf $$tmp; exit 1; }; \
	done; \
	rm -rf $$tmp
	@echo "reports written to $(REPORTS)/*.html (with code) and $(REPORTS)/*.no-code.html (for readers)"

# Notebooks are committed without outputs (the tests check); this strips them in place.
strip: $(STAMP)
	$(BIN)/nbstripout --keep-id $(NOTEBOOKS)

install: $(STAMP)

# Reinstall only when the packaging files change; a second run is quick.
$(STAMP): pyproject.toml constraints.txt notebooks/kernel/ipython_kernel_config.py
	@test -x $(BIN)/python || { echo "creating the virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing eventstudy and its pinned dependencies into $(VENV) (2-3 minutes the first time)"
	@# The distribution was called 'eventstudy' before it took a name of its own: drop that record.
	@$(BIN)/python -m pip uninstall --quiet --yes eventstudy 2>/dev/null || true
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -c constraints.txt -e ".[notebooks,test,excel]"
	@echo "registering the Jupyter kernel"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@# The kernel logs errors only, and not the interrupt that a clean shutdown sends (see the file).
	@mkdir -p $(VENV)/etc/ipython
	@cp notebooks/kernel/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py
	@touch $(STAMP)
	@echo "$(VENV) is ready"

clean:
	rm -rf $(VENV) $(REPORTS) .hypothesis .pytest_cache .mypy_cache
