# `cmake --install` and CPack: the binary, the librdkafka it was linked with when that is not the
# system's (scripts/setup.sh builds 2.12.1; Debian 12 has 2.0.2), the page, the example
# configuration, the balancer configurations and hardened systemd units. `cpack -G DEB` in the
# build folder makes kasocki_<version>_<arch>.deb.
# /usr, not /usr/local, by default: the systemd units name the binary by its configured path and
# the package installs under /usr. Configure with -DCMAKE_INSTALL_PREFIX=... for another place.
# A build folder configured before this file existed has CMake's default /usr/local in its cache
# (no longer "initialized to default" on a re-run): it moves to /usr once, too.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT
   OR (NOT KASOCKI_INSTALL_PREFIX_CHOSEN AND CMAKE_INSTALL_PREFIX STREQUAL "/usr/local"))
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix" FORCE)
endif()
set(KASOCKI_INSTALL_PREFIX_CHOSEN ON CACHE INTERNAL "the install prefix default was applied")
include(GNUInstallDirs)

install(TARGETS kasocki_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# A librdkafka outside the system's folders goes into a private folder the binary finds relative
# to itself, so the package works wherever it is unpacked (dpkg -x into a scratch root too).
set(kasocki_private_libdir ${CMAKE_INSTALL_LIBDIR}/kasocki)
if(RDKAFKA_LIBRARY_DIRS AND NOT RDKAFKA_LIBRARY_DIRS MATCHES "^/usr/")
  file(RELATIVE_PATH rpath_to_libs "/${CMAKE_INSTALL_BINDIR}" "/${kasocki_private_libdir}")
  set_target_properties(kasocki_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${rpath_to_libs}")
  list(GET RDKAFKA_LIBRARY_DIRS 0 rdkafka_libdir)
  install(FILES ${rdkafka_libdir}/librdkafka.so.1 DESTINATION ${kasocki_private_libdir})
endif()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/ui/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kasocki/ui)
install(FILES ${PROJECT_SOURCE_DIR}/config/kasocki.example.jsonc
        DESTINATION ${CMAKE_INSTALL_DATADIR}/kasocki)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/haproxy.cfg ${PROJECT_SOURCE_DIR}/deploy/nginx.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/kasocki/deploy)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
              ${PROJECT_SOURCE_DIR}/docs/DEPLOYMENT.md ${PROJECT_SOURCE_DIR}/docs/kasocki-api.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(DATADIR ${CMAKE_INSTALL_FULL_DATADIR})
foreach(unit kasocki.service kasocki@.service)
  configure_file(${PROJECT_SOURCE_DIR}/deploy/systemd/${unit}.in ${CMAKE_BINARY_DIR}/systemd/${unit}
                 @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit} DESTINATION lib/systemd/system)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kasocki)
set(CPACK_PACKAGE_VENDOR "Kasocki")
set(CPACK_PACKAGE_CONTACT "Kasocki maintainers <kasocki@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "socket.io and Server-Sent Events gateway to Apache Kafka")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# dpkg-shlibdeps names the Debian packages of the shared libraries; the private librdkafka is
# in the package itself.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_INSTALL_PREFIX}/${kasocki_private_libdir})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Without the debug information of RelWithDebInfo the binary shrinks from ~190 MB to a few; gzip
# packs it in seconds.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
