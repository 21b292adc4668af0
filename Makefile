# One entry point for students, instructors and CI. `make grade` and `make test` set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# nbgrader starts `alembic` (and kernels) from PATH, so the environment's bin must come first.
export PATH := $(BIN):$(PATH)
# One torch thread per process: on 2 cores, two threads per kernel made small lessons 3-4x slower.
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: venv grade test lint lab formgrader release check-release mutants bench bench-grader clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --editable '.[grader,dev]'
	touch $@

venv: $(VENV)/.installed

grade: venv  ## regenerate student versions, grade the demo class, print the gradebook, write CSV + feedback
	python -m autograder release
	python -m autograder demo
	python -m autograder grade

test: venv  ## lint, unit and grading tests, mutation report, answer corpus, every lesson through nbval on 3 CPU paths
	ruff check .
	pytest -n 2 --dist loadscope --durations=40

lint: venv
	ruff check .

lab: venv  ## open the student notebooks in JupyterLab, as a student sees them (no Formgrader)
	JUPYTER_CONFIG_PATH=$(CURDIR)/deploy/student jupyter lab $(ROOT_FLAG) notebooks/

formgrader: venv  ## JupyterLab on the whole course, opened at nbgrader's Formgrader
	cd autograder && jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=.. --ServerApp.default_url=/formgrader

release: venv  ## regenerate notebooks/ from solutions/
	python -m autograder release

check-release: venv
	python -m autograder release --check

mutants: venv  ## mutation-test every exercise's checks; writes test-artifacts/mutation-report.md (about 5 minutes)
	python -m autograder mutants

bench: venv  ## print speed figures (never asserted in tests); about 5 minutes
	python benchmarks/lesson_times.py
	python benchmarks/xor_trainer.py
	python benchmarks/double_descent_sweep.py

bench-grader: venv  ## serial stock nbgrader vs this grader, before and after zygotes, on the demo class; about 25 minutes
	python benchmarks/grader_speedup.py

clean:
	rm -rf work test-artifacts .pytest_cache .ruff_cache

.PHONY: bench-class
bench-class: venv  ## grade a synthetic class of 300 students (lesson 1) and print the time per submission; about 20 minutes
	python benchmarks/synthetic_class.py
