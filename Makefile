# The two quick-start commands of the README.
.PHONY: run test setup setup-dev

run: setup
	.venv/bin/ecoradar db upgrade
	.venv/bin/ecoradar serve --load-sample

test: setup-dev
	scripts/services.sh
	scripts/test.sh

setup:
	scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev
