# kcloud — see README.md. Every target runs with the project's own Node.js 24 and the
# control-plane binaries built here first on PATH, whatever the machine has installed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/.local/node/bin:$(CURDIR)/.local/bin:$(PATH)

# On a 2-core machine Jest runs the test files in its own process (in band), one after the
# other, so its heap holds whatever each file leaves behind: its limit is raised above V8's
# default (about 4 GiB here), which a whole run outgrew, and `make test` logs the heap after
# each file, so that growth shows where it comes from.
JEST := node --max-old-space-size=12288 --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js

.PHONY: all setup build generate typecheck lint format format-check test test-unit \
	test-integration demo up down status purge clean bench

all: build

## setup: install Debian packages, Node 24, npm packages and build the control plane (idempotent)
## (and OVN 25.03 from Debian trixie under .local/ovn-25.03, which every target runs;
## KCLOUD_OVN=host runs the machine's OVN 23.03 instead)
setup:
	@bash hack/setup.sh

## build: compile TypeScript into dist/ (Node 24 also runs the .ts sources directly)
build: setup
	node_modules/.bin/tsc -p tsconfig.build.json

## generate: write crds/ (and test/crds/) from the kind definitions in TypeScript
generate: setup
	node hack/generate/cli.ts

typecheck:
	node_modules/.bin/tsc -p tsconfig.json --noEmit

lint:
	node_modules/.bin/eslint --max-warnings 0 .

format:
	node_modules/.bin/prettier --write .

format-check:
	node_modules/.bin/prettier --check .

## test: setup, typecheck, lint, then unit and integration tests against a real control plane
test: setup
	@$(MAKE) --no-print-directory typecheck lint format-check
	$(JEST) --ci --logHeapUsage

test-unit: setup
	$(JEST) --ci --selectProjects unit

test-integration: setup
	$(JEST) --ci --selectProjects integration

## demo: start the local control plane, OVN, the manager and the agent, apply the samples.
## Variables: DATA_PLANE=1|0 (OVN's data plane, for `hack/ovn.sh guest`; on by default as root,
## and a running one is kept), MANAGER_FLAGS='--resync-period=30s ...', AGENT_FLAGS='...'
## (extra flags; a running manager or agent with other flags is restarted with these)
demo: setup
	@node hack/demo/cli.ts

## up / purge: the local control plane on its own; status: everything the demo runs
up: setup
	@node hack/cluster/cli.ts up

## down: stop the manager, the agent and the control plane (data is kept)
down:
	@node hack/demo/cluster.ts down
	@node hack/demo/cli.ts down
	@node hack/cluster/cli.ts down

status:
	@node hack/demo/cli.ts status

## purge: stop everything and delete the local cluster's data
purge: down
	@node hack/cluster/cli.ts purge

.PHONY: cluster-node cluster-node-down images

## cluster-node: add one real node (containerd, kubelet, kube-proxy, CoreDNS, kube-scheduler) to
## the local control plane, starting that too if needed; cluster-node-down removes all of it
cluster-node: setup
	@bash hack/node.sh up

cluster-node-down:
	@bash hack/node.sh down

.PHONY: ceph-up ceph-down

## ceph-up: a single-host Ceph for RBD pools (monitor, manager, one OSD on a sparse file) in
## .local/ceph; ceph-down stops it by PID and keeps its data (`hack/ceph.sh purge` deletes it)
ceph-up: setup
	@bash hack/ceph.sh up

ceph-down:
	@bash hack/ceph.sh down

## images: build kcloud-manager, kcloud-agent and kcloud-ovn as docker-archives in .local/images/
## (tag: the commit, -dirty with local changes) and import them into the node of
## `make cluster-node` when it is up; unchanged images are not built again
images: setup
	@node hack/images/cli.ts build --import

.PHONY: demo-cluster demo-cluster-down test-cluster

## demo-cluster: the demo through the Helm chart on the local node (images built here);
## demo-cluster-down uninstalls it and removes the node
demo-cluster: setup
	@node hack/demo/cluster.ts

demo-cluster-down:
	@node hack/demo/cluster.ts down

## test-cluster: only the cluster tier (a real node, the images, the chart); part of make test
test-cluster: setup
	$(JEST) --ci test/cluster --selectProjects integration

## bench: benchmarks against a private control plane (and OVN); results in docs/benchmarks.md
bench: setup
	node --expose-gc bench/runtime/main.ts
	node bench/vpc/main.ts
	node bench/evs/main.ts
	node bench/ecs/main.ts
	node bench/platform/main.ts
	node bench/edge/main.ts

clean: purge
	rm -rf dist .local/test-runs
