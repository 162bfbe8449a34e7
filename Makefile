# The two commands that matter: `./start.sh` runs Kurobe, `make test` tests everything.
.PHONY: test dev backend frontend migrate bench docker-up openapi fmt lint

test:            ## every check and test suite, with the services they need
	scripts/test.sh

dev:             ## run Kurobe from a debug build (faster to rebuild than ./start.sh)
	KUROBE_BUILD_PROFILE=dev ./start.sh

backend:         ## build the server and CLI in release mode
	cargo build --release --locked -p kurobe-cli

frontend:        ## build the production web app (frontend/; frontend/test.sh tests it)
	frontend/scripts/ensure-built.sh

migrate:         ## apply migrations to the database of ./start.sh
	@. .kurobe/dev/services.env && cargo run -q --locked -p kurobe-cli -- migrate

bench:           ## benchmarks (issue 10): bench/results/<date>-<commit>.json and .md
	scripts/bench.sh

docker-up:       ## Postgres, Redis, Trino and Kurobe in containers (a Docker engine and docker/.env: docs/deploy.md)
	docker compose -f docker/docker-compose.yml up --build

openapi:         ## regenerate the committed openapi.json from the code
	cargo run -q --locked -p kurobe-cli -- openapi > openapi.json

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings
