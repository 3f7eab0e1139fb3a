# KropBot: the two commands (see README.md).
.PHONY: run test setup clean

run:    ## set up if needed, then run the whole stack (simulated hardware by default)
	tools/run

test:   ## install test tools and run the whole test suite (what .ci/run does)
	tools/test

setup:  ## only create the venv and build the workspace
	tools/setup.sh

clean:
	rm -rf build install log .venv .venv-noble web/dist web/node_modules artifacts
