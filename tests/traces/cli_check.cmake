# Runs `moesim` once and checks its exit code and output (ctest script mode).
#   -DMOESIM=path -DARGS="a|b|c" -DEXPECT_RC=n -DEXPECT=regex
# A failing command must print exactly one line on stderr.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${MOESIM} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match '${EXPECT}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT rc EQUAL 0)
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines lines)
  if(NOT lines EQUAL 1)
    message(FATAL_ERROR "expected one line on stderr, got ${lines}:\n${err}")
  endif()
endif()
