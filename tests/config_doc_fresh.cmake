# Fails when docs/configuration.md differs from what the property table
# generates: regenerate it with `riskstream config-doc > docs/configuration.md`.
execute_process(COMMAND ${CMD} config-doc RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "riskstream config-doc failed with ${rc}")
endif()
file(READ ${DOC} doc)
if(NOT doc STREQUAL out)
  message(FATAL_ERROR "docs/configuration.md is stale: run `riskstream config-doc > docs/configuration.md`")
endif()
