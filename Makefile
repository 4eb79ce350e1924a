# The two commands of the README's quick start:
#   make flagship   the Facebook bank-data event study, offline, from data/ (prints the result, writes charts)
#   make test       the whole test suite, notebooks included
# Both create .venv in the checkout when it is missing or out of date, install the project into it, then run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPORTS := reports

.PHONY: flagship test install clean

flagship: $(STAMP)
	@mkdir -p $(REPORTS)/flagship
	$(BIN)/eventstudy run FB 2018-08-06 --market ^GSPC --model market --plot $(REPORTS)/flagship/fb_2018-08-06.png

test: $(STAMP)
	$(BIN)/python -m pytest

install: $(STAMP)

# Reinstall only when the packaging files change; a second run is quick.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[notebooks,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

clean:
	rm -rf $(VENV) $(REPORTS)
