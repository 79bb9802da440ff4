.PHONY: run test bench lint

run:  ## set up, generate the demo city, build its two lists
	scripts/run.sh

test:  ## set up and run every test (SQLite and a throwaway PostgreSQL)
	scripts/test.sh

lint:
	.venv/bin/ruff check src tests bench
