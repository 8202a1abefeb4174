# tests/scripts.cmake -- registers the golden-output script tests and the
# examples with CTest (included from CMakeLists.txt).  See docs/testing.md.
#
#   script/<area>/<name>   tests/scripts/<area>/<name>.mini, checked against
#                          <name>.out / .grep / .err / .errgrep / .code by
#                          tests/run_script.py, and (unless the script starts
#                          with `# mini-only`) also run under CPython.
#   example/<name>         examples/<name>.mini must exit 0 and print what
#                          CPython prints.
#
# Labels: `script` or `example`, the area name, and `pycompat` or
# `mini-only`; e.g. `ctest -L classes` or `ctest -L mini-only`.

# CPython is the oracle.  Prefer Debian's /usr/bin/python3 over whatever
# python3 comes first on PATH (pyenv shims, virtualenvs).
find_program(MINI_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT MINI_PYTHON3)
  find_program(MINI_PYTHON3 NAMES python3)
endif()
if(NOT MINI_PYTHON3)
  message(WARNING "python3 not found: script tests are not registered")
  return()
endif()

set(MINI_SCRIPT_ROOT ${CMAKE_CURRENT_SOURCE_DIR}/tests/scripts)
set(MINI_SCRIPT_RUNNER ${CMAKE_CURRENT_SOURCE_DIR}/tests/run_script.py)

# A test is a .mini with a .out or a .grep next to it; other .mini files are
# helper modules.  Glob the sidecars too, so adding a .out re-runs the glob.
file(GLOB_RECURSE MINI_SCRIPT_SIDECARS CONFIGURE_DEPENDS
     ${MINI_SCRIPT_ROOT}/*.out ${MINI_SCRIPT_ROOT}/*.grep)
file(GLOB_RECURSE MINI_SCRIPT_SOURCES CONFIGURE_DEPENDS ${MINI_SCRIPT_ROOT}/*.mini)
set(MINI_SCRIPT_BASES "")
foreach(sidecar ${MINI_SCRIPT_SIDECARS})
  get_filename_component(dir ${sidecar} DIRECTORY)
  get_filename_component(name ${sidecar} NAME_WLE)
  if(EXISTS ${dir}/${name}.mini)
    list(APPEND MINI_SCRIPT_BASES ${dir}/${name})
  endif()
endforeach()
list(REMOVE_DUPLICATES MINI_SCRIPT_BASES)
list(SORT MINI_SCRIPT_BASES)

foreach(base ${MINI_SCRIPT_BASES})
  file(RELATIVE_PATH rel ${MINI_SCRIPT_ROOT} ${base})
  string(REGEX REPLACE "/.*" "" area ${rel})
  file(STRINGS ${base}.mini first_line LIMIT_COUNT 1)
  if(first_line STREQUAL "# mini-only")
    set(kind mini-only)
  else()
    set(kind pycompat)
  endif()
  add_test(NAME script/${rel}
           COMMAND ${MINI_PYTHON3} ${MINI_SCRIPT_RUNNER}
                   --mini $<TARGET_FILE:mini> --python ${MINI_PYTHON3} ${base}.mini)
  # The runner's own per-process timeout is 30 s (mini, then CPython).
  set_tests_properties(script/${rel} PROPERTIES LABELS "script;${area};${kind}" TIMEOUT 90)
endforeach()

file(GLOB MINI_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/examples/*.mini)
foreach(ex ${MINI_EXAMPLES})
  get_filename_component(name ${ex} NAME_WLE)
  add_test(NAME example/${name}
           COMMAND ${MINI_PYTHON3} ${MINI_SCRIPT_RUNNER} --example
                   --mini $<TARGET_FILE:mini> --python ${MINI_PYTHON3} ${ex})
  set_tests_properties(example/${name} PROPERTIES LABELS "example;pycompat" TIMEOUT 90)
endforeach()

# --gil-trace writes valid Chrome trace-event JSON that agrees with
# --gil-stats (tests/validate_trace.py runs mini on the workload itself).
add_test(NAME gil/trace_json
         COMMAND ${MINI_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tests/validate_trace.py
                 --mini $<TARGET_FILE:mini> ${MINI_SCRIPT_ROOT}/gil/trace_workload.mini)
set_tests_properties(gil/trace_json PROPERTIES LABELS "script;gil;mini-only" TIMEOUT 120)
