# The two quick-start commands of the README.
.PHONY: run test setup setup-dev

run: setup
	.venv/bin/ecoradar demo

test: setup-dev
	scripts/services.sh
	scripts/test.sh

setup:
	scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev
