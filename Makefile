# The two commands of the README's quick start:
#   make flagship   the Facebook bank-data event study, offline, from data/ (prints the result, writes
#                   its charts and the flagship notebook rendered to HTML)
#   make test       the whole test suite, notebooks included
# and
#   make reports    every notebook executed offline and rendered to HTML in reports/
# All create .venv in the checkout when it is missing or out of date, install the project into it, then run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPORTS := reports

NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: flagship test reports install clean

flagship: $(STAMP)
	@mkdir -p $(REPORTS)/flagship
	$(BIN)/eventstudy run FB 2018-08-06 --market ^GSPC --model market --plot $(REPORTS)/flagship/fb_2018-08-06.png
	@$(BIN)/papermill --no-progress-bar --log-level WARNING --execution-timeout 600 --cwd notebooks \
	  notebooks/01_facebook_bank_data.ipynb $(REPORTS)/flagship/01_facebook_bank_data.ipynb
	@$(BIN)/jupyter nbconvert --log-level ERROR --to html $(REPORTS)/flagship/01_facebook_bank_data.ipynb
	@echo "The full analysis, with its charts and text: $(REPORTS)/flagship/01_facebook_bank_data.html"

test: $(STAMP)
	$(BIN)/python -m pytest

reports: $(STAMP)
	@mkdir -p $(REPORTS)/executed
	@for nb in $(NOTEBOOKS); do \
	  name=$$(basename $$nb .ipynb); \
	  echo "running $$nb"; \
	  $(BIN)/papermill --no-progress-bar --execution-timeout 600 --cwd notebooks $$nb $(REPORTS)/executed/$$name.ipynb || exit 1; \
	  $(BIN)/jupyter nbconvert --log-level ERROR --to html --output-dir $(REPORTS) $(REPORTS)/executed/$$name.ipynb || exit 1; \
	done
	@echo "reports written to $(REPORTS)/*.html"

install: $(STAMP)

# Reinstall only when the packaging files change; a second run is quick.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[notebooks,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

clean:
	rm -rf $(VENV) $(REPORTS)
