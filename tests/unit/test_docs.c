/* docs/detectors.md documents every detector the engine runs: a section
 * headed "## <name> — ...", every parameter as detector.<name>.<prop> or
 * .<prop> in that section, and a row in the signal map. A detector added
 * without its documentation, or a section lost in an edit, fails here. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/detector.h"

static void test_docs_every_detector_documented(void **state)
{
    size_t len;
    char *doc = rs_test_read_file(rs_test_path("docs/detectors.md"), &len);
    const char *map = strstr(doc, "## Which detector answers which signal");

    (void)state;
    assert_non_null(map);
    for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
        char head[128], cell[128];
        const char *sec, *end;

        snprintf(head, sizeof(head), "\n## %s \xe2\x80\x94 ", (*d)->name);
        sec = strstr(doc, head);
        if (!sec)
            fail_msg("docs/detectors.md has no section '## %s — ...'",
                     (*d)->name);
        end = strstr(sec + 1, "\n## ");
        if (!end)
            end = doc + len;
        snprintf(cell, sizeof(cell), "`%s`", (*d)->name);
        if (!strstr(map, cell) || strstr(map, cell) > sec)
            fail_msg("the signal map of docs/detectors.md does not name %s",
                     (*d)->name);
        for (const struct rs_detector_prop *p = (*d)->props; p->name; p++) {
            char dotted[128];
            const char *hit;

            snprintf(dotted, sizeof(dotted), ".%s`", p->name);
            hit = strstr(sec, dotted);
            if (!hit || hit > end)
                fail_msg("docs/detectors.md section %s lacks its parameter "
                         "%s",
                         (*d)->name, p->name);
        }
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_every_detector_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
