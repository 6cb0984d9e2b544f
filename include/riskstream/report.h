/* The backtest report directory: quality.json, trajectories.csv and
 * index.html, a self-contained page with inline SVG plots.
 *
 * The page is meant for a credit manager, not a developer: every plot has
 * a title that says what it shows, labelled axes with units and a legend.
 * It holds the quality figures side by side with their naive baselines,
 * the distribution of the score held before each invoice (on-time and
 * late invoices apart), the alerts per month by level, and timelines of a
 * few customers: invoices, payments, reminders and other contacts, the
 * score line and each level change with its main reason. No script, no
 * network: the file opens anywhere.
 *
 * Ownership: the report reads the backtest and the figures; it owns
 * nothing after returning. */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "riskstream/backtest.h"

#define RS_REPORT_TIMELINES_MAX 16

struct rs_report_options {
    const char *dir;              /* written into; must exist */
    const char *title;            /* e.g. the event file's name */
    const char *const *customers; /* timelines asked for (--customer) */
    size_t customer_count;
    int auto_timelines; /* customers picked by score and alert count */
};

/* quality.json: every figure; NaN is written as null. */
void rs_report_quality_json(FILE *out, const struct rs_backtest *bt,
                            const struct rs_backtest_quality *q);

/* trajectories.csv: customer_id,time,score,level per change. */
void rs_report_trajectories(FILE *out, const struct rs_backtest *bt);

/* invoices.csv: every issued invoice with its outcome, the score the
 * customer held before it and the naive baseline's score: the rows
 * auc_invoice_late and baseline_auc_late_share are computed from. */
void rs_report_invoices(FILE *out, const struct rs_backtest *bt);

/* labels.csv: every labelled customer with its label, the score it held
 * at the label time and the baseline's score (auc_label's rows). */
void rs_report_labels(FILE *out, const struct rs_backtest *bt);

/* index.html. */
void rs_report_html(FILE *out, const struct rs_backtest *bt,
                    const struct rs_backtest_quality *q,
                    const struct rs_report_options *opt);

/* The customer timelines section of index.html: the customers asked for,
 * then up to auto_timelines picked by highest score and most alerts. */
void rs_report_timelines(FILE *out, const struct rs_backtest *bt,
                         const struct rs_report_options *opt);

/* Writes the three files into opt->dir. Returns 0, or -1 with errstr
 * naming the file that could not be written and why. */
int rs_report_write(const struct rs_backtest *bt,
                    const struct rs_backtest_quality *q,
                    const struct rs_report_options *opt, char *errstr,
                    size_t errstr_size);

#endif
