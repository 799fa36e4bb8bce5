# The README's two commands are `make run` and `make test`.
.PHONY: run test lint format bootstrap check-deploy

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	@.venv/bin/python scripts/portal.py

test:
	@bash scripts/test.sh

lint: bootstrap
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: bootstrap
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .
