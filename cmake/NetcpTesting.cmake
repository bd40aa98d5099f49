include(doctest)

# Labels are set by a small script CTest runs after doctest's discovery script: passing a
# list such as "unit;lib9p" through doctest_discover_tests(PROPERTIES ...) flattens it into
# the property/value pairs (and doctest appends its own LABELS after ours), which silently
# drops every property that follows, TIMEOUT and SKIP_RETURN_CODE included.
function(_netcp_label_tests target labels)
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
  file(WRITE "${file}"
    "if(${target}_TESTS)\n"
    "  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${labels}\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()

# netcp_add_unit_test(NAME n SOURCES ... LIBS ... [LABELS ...])
# One executable per call; each doctest case becomes a CTest test labelled "unit".
function(netcp_add_unit_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE netcp_test_support ${ARG_LIBS})
  netcp_set_warnings(${ARG_NAME})
  doctest_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}." TEST_LIST ${ARG_NAME}_TESTS
    PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  _netcp_label_tests(${ARG_NAME} "unit;${ARG_LABELS}")
endfunction()

# netcp_add_integration_test(NAME n SOURCES ... LIBS ... NEEDS diod|afs [TIMEOUT s]
#                            [EVERY_9P_SERVER])
# Integration tests start real servers through fixtures/ scripts and exit 77 (reported as
# skipped) only when the server cannot be started at all. Tests needing the same server
# kind never run at once.
# EVERY_9P_SERVER registers the suite once per 9P server (tests/support/ninep_server.hpp):
# "n.CASE" against diod, "n@munge.CASE" against diod requiring MUNGE, "n@ganesha.CASE"
# against nfs-ganesha (labels munge, ganesha).
function(netcp_add_integration_test)
  cmake_parse_arguments(ARG "EVERY_9P_SERVER" "NAME;NEEDS;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 900)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE netcp_test_support ${ARG_LIBS})
  netcp_set_warnings(${ARG_NAME})
  doctest_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}." TEST_LIST ${ARG_NAME}_TESTS
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77 RESOURCE_LOCK ${ARG_NEEDS})
  _netcp_label_tests(${ARG_NAME} "integration;${ARG_NEEDS};${ARG_LABELS}")
  if(ARG_EVERY_9P_SERVER)
    foreach(variant munge ganesha)
      if(variant STREQUAL "munge")
        set(kind diod-munge)
        set(lock diod)
      else()
        set(kind ganesha)
        set(lock ganesha)
      endif()
      # EXTRA_ARGS only to make doctest's generated file names differ per variant (they
      # hash the spec and extra arguments): no suite has that name, nothing is excluded.
      doctest_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}@${variant}." TEST_LIST ${ARG_NAME}_${variant}_TESTS
        EXTRA_ARGS --test-suite-exclude=netcp-variant-${variant}
        PROPERTIES TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77 RESOURCE_LOCK ${lock}
                   ENVIRONMENT NETCP_TEST_9P_SERVER=${kind})
      _netcp_label_tests(${ARG_NAME}_${variant} "integration;${lock};${variant};${ARG_LABELS}")
    endforeach()
  endif()
endfunction()
