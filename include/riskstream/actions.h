/* Recommended actions: what a credit manager (or dunning automation) should
 * do, following the source articles (DOMAIN.md). Each action has a stable
 * code and a text in plain words. An alert's actions are those of its new
 * level plus those its findings recommend, without repeats, in the order of
 * the action table. */
#ifndef RS_ACTIONS_H
#define RS_ACTIONS_H

#include "riskstream/alert.h"
#include "riskstream/detector.h"

/* The text of an action code, or NULL if the code is unknown. */
const char *rs_action_text(const char *code);

/* Fills a->actions from the new level and the findings. */
void rs_actions_choose(struct rs_alert *a, const struct rs_finding *f, int n);

#endif
