/* Segment health for the cluster detector (src/detectors/cluster.c): how
 * the engine feeds settled invoices into a segment's record and copies the
 * segment's figures into a customer before it is evaluated. */
#ifndef RS_CLUSTER_H
#define RS_CLUSTER_H

#include <stdint.h>

#include "riskstream/detector.h"

#define RS_CLUSTER_DETECTOR_ID 23
#define RS_SEGMENT_ID_PREFIX RS_RESERVED_ID_PREFIX "segment:"

extern const struct rs_detector rs_detector_cluster;

/* Counts one settled invoice (days_late = paid - due) settled on day into
 * the segment record's slots. p: the cluster detector's parameters. */
void rs_cluster_count(const int64_t *p, struct rs_dstate *seg, int32_t day,
                      int32_t days_late);

/* Copies a segment record's figures into a customer's cluster slots. */
void rs_cluster_publish(const struct rs_dstate *seg, struct rs_dstate *cust);

#endif
