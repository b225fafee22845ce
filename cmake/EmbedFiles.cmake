# moesim_embed_files(OUTPUT file.cpp SYMBOL name BASE_DIR dir FILES a.yaml b.yaml ...)
# Generates a .cpp defining `const moesim::EmbeddedFile name[]` and `const std::size_t name_count`
# holding each file's text; regenerated whenever one of the files changes.
function(moesim_embed_files)
  cmake_parse_arguments(ARG "" "OUTPUT;SYMBOL;BASE_DIR" "FILES" ${ARGN})
  set(abs_files "")
  foreach(f ${ARG_FILES})
    list(APPEND abs_files ${ARG_BASE_DIR}/${f})
  endforeach()
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} -DSYMBOL=${ARG_SYMBOL} -DBASE_DIR=${ARG_BASE_DIR}
            "-DFILES=${files_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_files_script.cmake
    DEPENDS ${abs_files} ${PROJECT_SOURCE_DIR}/cmake/embed_files_script.cmake
    COMMENT "Embedding ${ARG_SYMBOL}"
    VERBATIM)
endfunction()
