# Finds every third-party dependency; a missing one stops the configure step and names the
# Debian 12 package that provides it (scripts/setup.sh installs them all).
find_package(PkgConfig QUIET)

function(kasocki_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "Kasocki needs ${what}: install the Debian package '${package}' "
                        "(or run scripts/setup.sh)")
  endif()
endfunction()

find_package(Threads REQUIRED)

find_package(Boost 1.81 QUIET COMPONENTS program_options url)
kasocki_require(Boost_FOUND "Boost 1.81 with program_options and url"
                "libboost1.81-dev libboost-program-options1.81-dev libboost-url1.81-dev")

find_package(OpenSSL QUIET)
kasocki_require(OPENSSL_FOUND "OpenSSL" "libssl-dev")

find_package(nlohmann_json 3.10 QUIET)
kasocki_require(nlohmann_json_FOUND "nlohmann-json" "nlohmann-json3-dev")

find_package(simdjson QUIET)
kasocki_require(simdjson_FOUND "simdjson" "libsimdjson-dev")

# librdkafka: the one scripts/setup.sh built from source (2.12.1) when there, else the system's,
# which must be 2.1 or later: 2.0's rd_kafka_consume_batch_queue() may lose or repeat messages
# while librdkafka applies an assignment or seek in parallel (its 2.0.0 "Known Issues", fixed
# in 2.1.0), and Kasocki's delivery guarantee rests on that call. Debian 12 ships 2.0.2.
set(KASOCKI_RDKAFKA_PREFIX "${PROJECT_SOURCE_DIR}/.deps/librdkafka" CACHE PATH
    "librdkafka built by scripts/setup.sh (used when it exists)")
if(EXISTS "${KASOCKI_RDKAFKA_PREFIX}/lib/pkgconfig/rdkafka.pc")
  set(ENV{PKG_CONFIG_PATH} "${KASOCKI_RDKAFKA_PREFIX}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
endif()
if(PkgConfig_FOUND)
  pkg_check_modules(RDKAFKA QUIET IMPORTED_TARGET rdkafka)
  if(RDKAFKA_FOUND)
    message(STATUS "librdkafka ${RDKAFKA_VERSION}: ${RDKAFKA_LINK_LIBRARIES}")
    if(RDKAFKA_VERSION VERSION_LESS 2.1)
      message(FATAL_ERROR "librdkafka ${RDKAFKA_VERSION} is too old (2.1 or later: its batch "
                          "consume can lose messages); run scripts/setup.sh, which builds 2.12.1 "
                          "into .deps/librdkafka")
    elseif(RDKAFKA_VERSION VERSION_LESS 2.2)
      message(WARNING "librdkafka ${RDKAFKA_VERSION} predates fetch.queue.backoff.ms: replays "
                      "stall a second whenever a queue fills (run scripts/setup.sh for 2.12.1)")
    endif()
  endif()
  pkg_check_modules(RE2 QUIET IMPORTED_TARGET re2)
endif()
kasocki_require(RDKAFKA_FOUND "librdkafka" "librdkafka-dev (and pkg-config)")
kasocki_require(RE2_FOUND "RE2" "libre2-dev (and pkg-config)")

if(KASOCKI_TESTS)
  find_package(GTest QUIET)
  kasocki_require(GTest_FOUND "GoogleTest" "libgtest-dev")
endif()
