include(doctest)

# netcp_add_unit_test(NAME n SOURCES ... LIBS ... [LABELS ...])
# One executable per call; doctest cases become CTest tests labelled "unit".
function(netcp_add_unit_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE netcp_test_support ${ARG_LIBS})
  netcp_set_warnings(${ARG_NAME})
  doctest_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}." PROPERTIES LABELS "unit;${ARG_LABELS}" TIMEOUT 300)
endfunction()

# netcp_add_integration_test(NAME n SOURCES ... LIBS ... NEEDS diod|afs [TIMEOUT s])
# Integration tests start their own servers through fixtures/ scripts and exit 77
# (shown as "Skipped") only when the server cannot be started at all.
function(netcp_add_integration_test)
  cmake_parse_arguments(ARG "" "NAME;NEEDS;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 900)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE netcp_test_support ${ARG_LIBS})
  netcp_set_warnings(${ARG_NAME})
  doctest_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}."
    PROPERTIES LABELS "integration;${ARG_NEEDS};${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77
               RESOURCE_LOCK "${ARG_NEEDS}")
endfunction()
