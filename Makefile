# Warren's front door: `make run` and `make test` work on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
PORT ?= 5672
DATA_DIR ?= ./data

.PHONY: build run test unit-test integration-test fuzz-test deps clean format

build:
	@tools/install-deps.sh build
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/warren-server --port $(PORT) --data-dir $(DATA_DIR)

test:
	@tools/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@tools/run-tests.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files 'src/*.h' 'src/*.cpp' 'tests/*.cpp' 'fuzz/*.cpp')
