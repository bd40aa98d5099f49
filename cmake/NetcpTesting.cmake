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

# netcp_add_integration_test(NAME n SOURCES ... LIBS ... NEEDS diod|afs [TIMEOUT s])
# Integration tests start real servers through fixtures/ scripts and exit 77 (reported as
# skipped) only when the server cannot be started at all. Tests needing the same server
# kind never run at once.
function(netcp_add_integration_test)
  cmake_parse_arguments(ARG "" "NAME;NEEDS;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 900)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE netcp_test_support ${ARG_LIBS})
  netcp_set_warnings(${ARG_NAME})
  doctest_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}." TEST_LIST ${ARG_NAME}_TESTS
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77 RESOURCE_LOCK ${ARG_NEEDS})
  _netcp_label_tests(${ARG_NAME} "integration;${ARG_NEEDS};${ARG_LABELS}")
endfunction()
